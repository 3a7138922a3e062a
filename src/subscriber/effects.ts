// What a subscriber's writes make MISP publish, as it declares them (`defineSubscriber({ effects })`)
// for the loop analysis of `check` (rules/loops.ts), the same vocabulary the rules' actions map to.

import type { MessageKind } from "../decode/types.js";

/** An echo a handler's writes can cause: its message kind and action, and what is known of it. */
export interface Effect {
  readonly kind: MessageKind;
  readonly action: string;
  /** Tag names (`*`: unknown), for tag messages. */
  readonly tags?: readonly string[];
  /** Attribute types it may concern (absent: any). */
  readonly types?: readonly string[];
}

/** Writing a module's answer back on attributes of these types: its tags (names unknown) on the source. */
export function enrichmentEffects(types?: readonly string[]): Effect[] {
  return [{ kind: "tag", action: "attached-to-attribute", tags: ["*"], ...(types ? { types } : {}) }];
}
