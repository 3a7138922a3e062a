// Work that can never succeed (a 4xx from MISP, a module error, a bad message a handler rejected)
// is appended here with the reason, so nothing vanishes unseen: one JSON line per letter, the frame's
// payload in base64. Nothing reads the file back; an operator inspects it and fixes the cause.

import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

export interface DeadLetter {
  readonly subscriber: string;
  readonly topic: string;
  readonly position?: string;
  readonly code: string;
  readonly message: string;
  readonly payload: string;
}

export interface DeadLetterBox {
  put(letter: DeadLetter): Promise<void>;
  readonly file: string;
}

export function createDeadLetterBox(options: { readonly file: string }): DeadLetterBox {
  const ready = mkdir(dirname(options.file), { recursive: true, mode: 0o700 });
  // Reported by the first write that needs the folder, not as an unhandled rejection at start-up.
  ready.catch(() => undefined);
  return {
    file: options.file,
    async put(letter) {
      await ready;
      await appendFile(options.file, JSON.stringify({ at: new Date().toISOString(), ...letter }) + "\n", { mode: 0o600 });
    },
  };
}
