import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One Kafka broker and one real misp-modules server per run, shared by every test file.
    globalSetup: ["test/setup/kafka-broker.ts", "test/setup/misp-modules.ts"],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
