// The bus contract on Kafka, and what only Kafka brings: MISP's PHP-escaped JSON on the wire.

import { afterEach, describe, expect, it } from "vitest";
import { describeBusContract } from "./bus-contract.js";
import { startHarness, type Harness } from "../support/harness.js";
import { createKafkaDriver, phpJsonEncode } from "../support/kafka-driver.js";

describeBusContract("Kafka", createKafkaDriver());

describe("kafka: MISP's json_encode on the wire", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it("encodes like PHP's json_encode defaults: escaped slashes, \\uXXXX for non-ASCII, surrogate pairs for astral characters", () => {
    expect(phpJsonEncode({ comment: "Zürich / C2 🛰", n: 1, action: "add" })).toBe('{"comment":"Z\\u00fcrich \\/ C2 \\ud83d\\udef0","n":1,"action":"add"}');
  });

  it("enriches an attribute sent PHP-escaped, its comment reaching the module as the analyst wrote it", async () => {
    h = await startHarness({ bus: createKafkaDriver() });
    const event = h.misp.seedEvent({ info: "Opération « Nuit » / 夜 🌙" });
    const comment = "seen in https://paste.example/raw/ab12 — Zürich 🛰";
    const source = h.misp.seedAttribute(event.uuid, { type: "ip-dst", value: "198.51.100.23", comment });
    await h.publish(source.message.topic, source.message.payload);
    await h.settle();

    expect(h.counter("misp_enrichd_decode_errors_total")).toBe(0);
    expect(h.misp.state.objects).toHaveLength(1);
    // The event info (escaped too) has no reader downstream; the comment goes to the module as is.
    const [request] = h.modules?.requests ?? [];
    expect(request?.attribute).toMatchObject({ uuid: source.uuid, value: "198.51.100.23", comment });
  });
});
