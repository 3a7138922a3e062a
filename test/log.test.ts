// The logger scrubs every configured secret by value from each line, whatever key it hides under,
// in the form it takes in JSON (escaped when it holds quotes or backslashes).

import { describe, expect, it } from "vitest";
import { scrubSecrets, setLoggerSecrets } from "../src/log.js";
import { captureLogs } from "./support/log-capture.js";

describe("the logger's scrubbing of secret values", () => {
  it("removes a secret wherever it sits, escaped in JSON or not, and a longer secret containing a shorter one whole", async () => {
    const quoted = 'pa"ss\\word';
    const logs = captureLogs({ level: "info", secrets: ["s3cr3t-key", "s3cr3t-key-extended", quoted, "abc"] });
    logs.logger.info({ note: "key is s3cr3t-key-extended", deep: { x: [`${quoted}!`] }, short: "abc" }, "said s3cr3t-key");
    await new Promise((resolve) => setImmediate(resolve));
    const [line] = logs.lines();
    expect(line).toMatchObject({ note: "key is [redacted]", deep: { x: ["[redacted]!"] }, msg: "said [redacted]", short: "abc" });
    expect(logs.text()).not.toMatch(/s3cr3t|pa\\"ss/);
  });

  it("scrubs the secrets a reload brings, and no longer the old ones", async () => {
    const logs = captureLogs({ level: "info", secrets: ["old-secret"] });
    setLoggerSecrets(logs.logger, ["new-secret"]);
    logs.logger.info("old-secret new-secret");
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs.lines()[0]?.msg).toBe("old-secret [redacted]");
  });

  it("scrubs plain text the same way (replay and enrich summaries)", () => {
    expect(scrubSecrets('a "s3cr3t" and s3cr3t', ["s3cr3t"])).toBe('a "[redacted]" and [redacted]');
  });
});
