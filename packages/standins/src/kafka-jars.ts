// The broker's jars, fetched from Maven Central by scripts/kafka/fetch.sh into a cache.

import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FETCH_SCRIPT = join(REPO_ROOT, "scripts/kafka/fetch.sh");

export const DEFAULT_KAFKA_VERSION = "4.4.0";

/** Runs scripts/kafka/fetch.sh (idempotent, cached) and returns the lib directory. */
export async function fetchKafkaJars(version: string = kafkaVersion()): Promise<string> {
  try {
    const { stdout } = await run("bash", [FETCH_SCRIPT, version], { timeout: 10 * 60_000, maxBuffer: 1 << 20 });
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
