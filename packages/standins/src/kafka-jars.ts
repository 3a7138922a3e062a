// The broker's jars, fetched from Maven Central by scripts/kafka/fetch.sh into a cache.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./misp-modules-venv.js";

const run = promisify(execFile);

export const DEFAULT_KAFKA_VERSION = "4.4.0";

/** Runs scripts/kafka/fetch.sh (idempotent, cached) and returns the lib directory. */
export async function fetchKafkaJars(version: string = kafkaVersion()): Promise<string> {
  try {
    const { stdout } = await run("bash", [join(repoRoot(), "scripts/kafka/fetch.sh"), version], { timeout: 10 * 60_000, maxBuffer: 1 << 20 });
    const lib = stdout.trim().split("\n").pop();
    if (lib === undefined || lib === "") throw new Error("fetch.sh printed no lib directory");
    return lib;
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    throw new Error(`could not fetch the Kafka ${version} jars: ${typeof stderr === "string" && stderr !== "" ? stderr.trim() : String(error)}`, {
      cause: error,
    });
  }
}

export function kafkaVersion(): string {
  return process.env.KAFKA_VERSION !== undefined && process.env.KAFKA_VERSION !== "" ? process.env.KAFKA_VERSION : DEFAULT_KAFKA_VERSION;
}
