// Loaded into the daemon with `node --import` by the disk-full scenario where a tmpfs cannot be
// mounted (faults/small-disk.ts). While the file named by ENRICHD_FAULTS_ENOSPC_FLAG exists, every
// write of data under ENRICHD_FAULTS_ENOSPC_DIR fails with ENOSPC, as on a full disk: creating,
// renaming and removing files still work, as they do on a full tmpfs. Never loaded outside the suite.

import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";

const dir = process.env["ENRICHD_FAULTS_ENOSPC_DIR"];
const flag = process.env["ENRICHD_FAULTS_ENOSPC_FLAG"];

if (dir !== undefined && flag !== undefined) {
  const root = resolve(dir);
  const inside = (path: unknown): boolean => typeof path === "string" && resolve(path).startsWith(root);
  const full = (): boolean => fs.existsSync(flag);
  const enospc = (syscall: string, path: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`ENOSPC: no space left on device, ${syscall} '${path}'`), { code: "ENOSPC", errno: -28, syscall, path });
  const fds = new Map<number, string>();
  const handles = new WeakMap<FileHandle, string>();
  const p = fs.promises;

  const openSync = fs.openSync;
  fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
    const fd = (openSync as (...a: unknown[]) => number)(path, ...rest);
    if (inside(String(path))) fds.set(fd, String(path));
    return fd;
  }) as typeof fs.openSync;
  const closeSync = fs.closeSync;
  fs.closeSync = ((fd: number) => {
    fds.delete(fd);
    closeSync(fd);
  }) as typeof fs.closeSync;
  const writeSync = fs.writeSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    const path = fds.get(fd);
    if (path !== undefined && full()) throw enospc("write", path);
    return (writeSync as (...a: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  for (const name of ["writeFileSync", "appendFileSync"] as const) {
    const original = fs[name] as (...a: unknown[]) => void;
    (fs as unknown as Record<string, unknown>)[name] = (path: unknown, ...rest: unknown[]) => {
      if (inside(path) && full()) throw enospc("write", String(path));
      return original(path, ...rest);
    };
  }
  for (const name of ["writeFile", "appendFile"] as const) {
    const original = p[name] as (...a: unknown[]) => Promise<void>;
    (p as unknown as Record<string, unknown>)[name] = async (path: unknown, ...rest: unknown[]) => {
      if (inside(path) && full()) throw enospc("write", String(path));
      return original(path, ...rest);
    };
  }
  const open = p.open;
  p.open = (async (path: fs.PathLike, ...rest: unknown[]) => {
    const handle = await (open as (...a: unknown[]) => Promise<FileHandle>)(path, ...rest);
    if (inside(String(path))) handles.set(handle, String(path));
    return handle;
  }) as typeof p.open;
  // FileHandle's methods live on its prototype: reach it through a handle on this very file.
  const probe = await open(process.argv[1] ?? ".", "r");
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  for (const name of ["write", "writeFile", "appendFile", "writev"]) {
    const original = proto[name] as (this: FileHandle, ...a: unknown[]) => Promise<unknown>;
    proto[name] = async function (this: FileHandle, ...rest: unknown[]) {
      const path = handles.get(this);
      if (path !== undefined && full()) throw enospc("write", path);
      return original.apply(this, rest);
    };
  }
  syncBuiltinESMExports();
}
