import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

// The projects are named for what their tests need besides Node, not for the folder a test lives in:
// test/e2e/zmq.test.ts runs the whole daemon in-process on real ZeroMQ sockets and needs nothing
// else, so it is a `unit` test. A test file belongs to exactly one project; `unit` is the default.

/** Tests that spawn the built CLI (dist/src/cli/main.js) or pack dist/. */
const BUILT = ["test/cli/*.test.ts", "test/e2e/run-cli.test.ts", "test/pack.test.ts", "test/systemd/*.test.ts", "test/state/shared-ledgers.test.ts"];
/** Tests that need the run's Kafka broker (inject("kafkaBrokers")) or start brokers of their own. */
const KAFKA = [
  "test/bus/kafka.test.ts",
  "test/bus/kafka-blocked.test.ts",
  "test/bus/kafka-restart.test.ts",
  "test/bus/kafka-lag.test.ts",
  "test/cli/kafka.test.ts",
  "test/e2e/kafka.test.ts",
  "test/e2e/kafka-crash.test.ts",
  "test/e2e/kafka-group.test.ts",
];
/** Tests that need the real misp-modules server (inject("mispModules")). */
const REAL_MODULES = ["test/real-modules/*.test.ts", "test/modules/client-real.test.ts", "test/e2e/real-modules.test.ts", "test/cli/modules.test.ts", "test/demo/demo.test.ts"];

/** The fault suite at reduced sizes: the built daemon, killed and starved, against real peers and the run's broker. */
const FAULTS = ["test/faults/suite.test.ts"];

/** Builds dist/ first (a no-op when it is up to date): every project but `unit` runs built code somewhere. */
const BUILD = "test/setup/build.ts";

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of both packages: the stand-ins' imports of the daemon and the
    // tests' imports of the stand-ins resolve to src/, never to a dist/ that may be stale or absent.
    alias: [
      { find: /^misp-enrichd$/, replacement: here("src/index.ts") },
      { find: /^misp-enrichd\/internal$/, replacement: here("src/internal.ts") },
      { find: /^@misp-enrichd\/standins$/, replacement: here("packages/standins/src/index.ts") },
    ],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        // No build, no broker, no Python: the inner loop (`npx vitest --project unit`). Its files share
        // worker processes (no test changes global state), which takes it from ~18 s to ~7 s.
        test: { name: "unit", include: ["test/**/*.test.ts"], exclude: [...BUILT, ...KAFKA, ...REAL_MODULES, ...FAULTS], isolate: false },
      },
      {
        extends: true,
        test: { name: "e2e", include: BUILT, exclude: [...KAFKA, ...REAL_MODULES], globalSetup: [BUILD] },
      },
      {
        extends: true,
        // One broker per run, shared by every file; KAFKA_VERSION picks the line.
        test: { name: "kafka", include: KAFKA, globalSetup: [BUILD, "test/setup/kafka-broker.ts"] },
      },
      {
        extends: true,
        // The broker is the kafka project's (test/setup/kafka-broker.ts shares it); scenario 2 starts
        // its own real misp-modules from the venv when installed, since it kills it.
        test: { name: "faults", include: FAULTS, globalSetup: [BUILD, "test/setup/kafka-broker.ts"] },
      },
      {
        extends: true,
        // One real misp-modules server per run, shared by every file.
        test: { name: "real-modules", include: REAL_MODULES, globalSetup: [BUILD, "test/setup/misp-modules.ts"] },
      },
    ],
  },
});
