import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

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
    include: ["test/**/*.test.ts"],
    // One Kafka broker and one real misp-modules server per run, shared by every test file.
    globalSetup: ["test/setup/kafka-broker.ts", "test/setup/misp-modules.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
