// `defineSubscriber` is an identity function: it exists for the types (option inference, query
// checking) and to mark a file's default export as a subscriber.

import type { SubscriberDefinition, SubscriberOptions } from "./types.js";

const BRAND = Symbol.for("misp-enrichd.subscriber");

export function defineSubscriber<O extends SubscriberOptions>(definition: SubscriberDefinition<O>): SubscriberDefinition<O> {
  return Object.assign(Object.create(null) as object, definition, { [BRAND]: true }) as SubscriberDefinition<O>;
}

export function isSubscriberDefinition(value: unknown): value is SubscriberDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true &&
    typeof (value as { setup?: unknown }).setup === "function"
  );
}
