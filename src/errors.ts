// The error catalogue. Every error the daemon raises on purpose carries a stable `code` and a
// `retriable` verdict; callers decide by code, never by message text. README's error table lists
// every code with its verdict, and test/config/docs.test.ts keeps the two in step.

export const ERROR_CODES = {
  ENRICHD_CONFIG_INVALID: { retriable: false, summary: "the configuration failed validation at start-up" },
  ENRICHD_FRAME_MALFORMED: { retriable: false, summary: "a bus frame had no topic separator or its payload was not JSON" },
  ENRICHD_FRAME_TOO_LARGE: { retriable: false, summary: "a bus frame exceeded bus.maxFrameBytes and was dropped unparsed" },
  ENRICHD_TOPIC_UNKNOWN: { retriable: false, summary: "a frame arrived on a topic MISP does not define" },
  ENRICHD_MESSAGE_INVALID: { retriable: false, summary: "a payload lacked a field its topic requires" },
  ENRICHD_SUBSCRIBER_INVALID: { retriable: false, summary: "a subscriber file failed to load or declared a bad filter" },
  ENRICHD_MODULE_UNAVAILABLE: { retriable: true, summary: "the misp-modules server could not be reached or answered 5xx" },
  ENRICHD_MODULE_TIMEOUT: { retriable: true, summary: "a module query exceeded its timeout" },
  ENRICHD_MODULE_ERROR: { retriable: false, summary: "a module answered {\"error\": ...} or a bare false" },
  ENRICHD_MODULE_NOTHING_FOUND: { retriable: false, summary: "a module found nothing for the value (e.g. dns NXDOMAIN): the message is skipped, not dead-lettered" },
  ENRICHD_MODULE_MISSING: { retriable: false, summary: "the module server does not offer the module, or not for that type" },
  ENRICHD_MODULE_RESPONSE_INVALID: { retriable: false, summary: "a module answer could not be understood" },
  ENRICHD_MISP_UNAVAILABLE: { retriable: true, summary: "MISP could not be reached, timed out, or answered 429/5xx" },
  ENRICHD_MISP_REJECTED: { retriable: false, summary: "MISP refused a request with a 4xx other than 429" },
  ENRICHD_MISP_AUTH: { retriable: false, summary: "MISP refused the API key or its role lacks a permission" },
  ENRICHD_MISP_RESPONSE_INVALID: { retriable: false, summary: "a MISP answer could not be understood" },
  ENRICHD_WEBHOOK_FAILED: { retriable: true, summary: "a webhook target could not be reached or answered 429/5xx" },
  ENRICHD_WEBHOOK_REJECTED: { retriable: false, summary: "a webhook target answered a 4xx other than 429" },
  ENRICHD_HANDLER_FAILED: { retriable: false, summary: "a subscriber handler threw an error that carries no code" },
  ENRICHD_BUS_FAILED: { retriable: true, summary: "the bus connection failed" },
  ENRICHD_CIRCUIT_OPEN: { retriable: true, summary: "a peer's circuit breaker was open: the call was not made and the work waits in the spool" },
  ENRICHD_SPOOL_FULL: { retriable: true, summary: "the spool was at state.spool.maxEntries or maxBytes when the daemon stopped: the work went to the dead letters instead" },
  ENRICHD_STATE_FAILED: { retriable: false, summary: "the state directory could not be read or written" },
} as const satisfies Record<string, { retriable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface EnrichdErrorOptions {
  /** Overrides the catalogue's verdict, e.g. a 404 that is known to be transient. */
  retriable?: boolean;
  cause?: unknown;
  /** Structured facts for the log line: the input that failed, never a secret. */
  details?: Record<string, unknown>;
}

export class EnrichdError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: EnrichdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EnrichdError";
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details ?? {};
  }
}

/** Thrown by subscriber code to say "this will never succeed, do not retry". */
export class PermanentError extends EnrichdError {
  constructor(message: string, options: Omit<EnrichdErrorOptions, "retriable"> = {}) {
    super("ENRICHD_HANDLER_FAILED", message, { ...options, retriable: false });
    this.name = "PermanentError";
  }
}

export function isEnrichdError(error: unknown): error is EnrichdError {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    (error as { code: string }).code in ERROR_CODES &&
    typeof (error as { retriable?: unknown }).retriable === "boolean"
  );
}

/**
 * The retry verdict for anything a handler may throw. Programming errors (TypeError and friends)
 * and errors without a code, an AbortError among them, are never retried: retrying cannot fix them.
 * (The handler runner retries a handler that its own timeout aborted; that is its decision.)
 */
export function isRetriable(error: unknown): boolean {
  return isEnrichdError(error) && error.retriable;
}

/** A code for the log line and the counters, whatever was thrown. */
export function errorCode(error: unknown): ErrorCode {
  return isEnrichdError(error) ? error.code : "ENRICHD_HANDLER_FAILED";
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
