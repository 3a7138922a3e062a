// The facts that make figures comparable: where and under what load they were taken.

import { execFileSync } from "node:child_process";
import { arch, cpus, loadavg, platform, release, totalmem } from "node:os";
import { shippedNodeOptions } from "./shipped-node-options.js";

export interface Environment {
  readonly node: string;
  readonly v8: string;
  readonly os: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memory: number;
  readonly loadAverage: readonly number[];
  readonly commit: string;
  readonly startedAt: string;
  /** The Node options every scenario process (the daemon's) runs with: the shipped unit's NODE_OPTIONS. */
  readonly daemonNodeOptions: readonly string[];
}

function gitCommit(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown (not a git checkout)";
  }
}

export function environment(): Environment {
  const list = cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    os: `${platform()} ${release()} ${arch()}`,
    cpu: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memory: totalmem(),
    loadAverage: loadavg(),
    commit: gitCommit(),
    startedAt: new Date().toISOString(),
    daemonNodeOptions: shippedNodeOptions(),
  };
}
