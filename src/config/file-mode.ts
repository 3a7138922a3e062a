// Config hygiene: a config file that holds a secret (the MISP key, a password, a module's API key)
// must not be readable by every user on the host. Group-readable is fine: README installs it as
// 0640 root:misp-enrichd, so that the daemon's group reads it and nobody else does.

import { readFileSync, statSync } from "node:fs";
import { isSecretKey } from "./problems.js";

/** Dotted paths of the secrets a parsed config document holds (values never included). */
export function secretPaths(doc: Readonly<Record<string, unknown>>): string[] {
  const found: string[] = [];
  const at = (path: string): unknown => path.split(".").reduce<unknown>((node, key) => (node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined), doc);
  for (const path of ["misp.key", "bus.zmq.password", "bus.kafka.sasl.password"]) {
    const value = at(path);
    if (value !== undefined && value !== null && value !== "") found.push(path);
  }
  const modules = at("modules.config");
  if (modules !== null && typeof modules === "object") {
    for (const [module, settings] of Object.entries(modules)) {
      if (settings === null || typeof settings !== "object") continue;
      for (const [key, value] of Object.entries(settings)) {
        if (isSecretKey(key) && typeof value === "string" && value !== "") found.push(`modules.config.${module}.${key}`);
      }
    }
  }
  return found;
}

/** `root:misp-enrichd`, or the numbers when /etc/passwd or /etc/group do not name them. */
function ownerName(uid: number, gid: number): string {
  const lookup = (file: string, id: number): string => {
    try {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const [name, , number] = line.split(":");
        if (name && Number(number) === id) return name;
      }
    } catch {
      // No such file (a container): the number will do.
    }
    return String(id);
  };
  return `${lookup("/etc/passwd", uid)}:${lookup("/etc/group", gid)}`;
}

/** The one-line problem when `path` holds secrets and others may read it; undefined when it is fine. */
export function exposedSecretsProblem(path: string, doc: Readonly<Record<string, unknown>>): string | undefined {
  const secrets = secretPaths(doc);
  if (secrets.length === 0) return undefined;
  let mode: number;
  let owner: string;
  try {
    const st = statSync(path);
    mode = st.mode & 0o777;
    if ((mode & 0o004) === 0) return undefined;
    owner = ownerName(st.uid, st.gid);
  } catch {
    return undefined;
  }
  const octal = mode.toString(8).padStart(4, "0");
  return `config file ${path} holds ${secrets.join(", ")} and every user can read it (mode ${octal}, owner ${owner}): chmod o-rwx ${path} (README installs it 0640 root:misp-enrichd), or move the secret to misp.keyFile or the environment`;
}
