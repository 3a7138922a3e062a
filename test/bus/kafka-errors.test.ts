import { createRequire } from "node:module";
import {
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSLockTimeout,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSSASLAuthenticationError,
  KafkaJSServerDoesNotSupportApiKey,
} from "kafkajs";
import { describe, expect, it } from "vitest";
import { isPermanentKafkaError } from "../../src/bus/kafka-config.js";

// kafkajs builds its protocol errors from the broker's error code; so do these tests.
const { createErrorFromCode } = createRequire(import.meta.url)("kafkajs/src/protocol/error") as { createErrorFromCode(code: number): Error };
const { KafkaJSProtocolError } = createRequire(import.meta.url)("kafkajs/src/errors") as { KafkaJSProtocolError: new (e: Error) => Error };
const protocolError = (code: number): Error => new KafkaJSProtocolError(createErrorFromCode(code));

/** What kafkajs's retrier rejects with: the error it would not retry, or the last one after its retries ran out. */
// kafkajs's typings lack the constructor's second argument ({ cause }), which its retrier passes.
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, options: { cause: unknown }) => Error;
const refusedByRetrier = (e: Error): Error => new NonRetriable(e, { cause: e.cause ?? e });
const retriesExhausted = (e: Error): Error => new KafkaJSNumberOfRetriesExceeded(e, { retryCount: 5, retryTime: 300 });

describe("isPermanentKafkaError", () => {
  it.each([
    ["refused SASL credentials", refusedByRetrier(new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)("SASL SCRAM-SHA-512 authentication failed"))],
    ["a topic ACL refusal (TOPIC_AUTHORIZATION_FAILED)", refusedByRetrier(protocolError(29))],
    ["a group ACL refusal (GROUP_AUTHORIZATION_FAILED)", protocolError(30)],
    ["a protocol the broker does not speak (UNSUPPORTED_VERSION)", protocolError(35)],
    ["an API the broker lacks", new KafkaJSServerDoesNotSupportApiKey("The Kafka server does not support the requested API version", { apiKey: 11, apiName: "JoinGroup" } as never)],
  ])("is permanent for %s", (_what, error) => {
    expect(isPermanentKafkaError(error)).toBe(true);
  });

  it.each([
    ["a broker that is down, once kafkajs ran out of retries", retriesExhausted(new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092"))],
    ["a broker that is down, as kafkajs raises it", new KafkaJSConnectionError("Connection error")],
    ["a coordinator not available yet (retriable protocol error)", retriesExhausted(protocolError(15))],
    ["a group coordinator not found", new (KafkaJSGroupCoordinatorNotFound as unknown as new (m: string) => Error)("Failed to find group coordinator")],
    ["a lock that waited too long", new (KafkaJSLockTimeout as unknown as new (m: string) => Error)("Timeout while acquiring lock")],
    ["an error of our own making", new Error("Kafka admin connect did not finish within 30000 ms")],
    ["something that is not an error", "boom"],
  ])("is not permanent for %s", (_what, error) => {
    expect(isPermanentKafkaError(error)).toBe(false);
  });
});
