// The public API for subscriber authors: `import { defineSubscriber } from "misp-enrichd"`.

export { defineSubscriber } from "./subscriber/define.js";
export type {
  EnrichmentTools,
  Handler,
  HandlerContext,
  SubscriberBuilder,
  SubscriberDefinition,
  SubscriberOptions,
  ActionTools,
  WebhookTools,
  WriteTools,
} from "./subscriber/types.js";
export type {
  Attribute,
  AttributeMessage,
  EventSummary,
  MessageKind,
  MispMessage,
  ObjectRow,
  Tag,
  TagMessage,
} from "./decode/types.js";
export type { FilterQuery, Where } from "./route/types.js";
export type { OrderScope } from "./route/ordering-key.js";
export type { ModuleResult, ResultAttribute, ResultObject } from "./modules/types.js";
export type { WriteReport } from "./misp/types.js";
export { EnrichdError, PermanentError, isEnrichdError, isRetriable } from "./errors.js";
export { isRoutableAddress } from "./modules/private-ip.js";
export { enrichmentEffects, type Effect } from "./subscriber/effects.js";
export { compileWebhook, type CompiledWebhook, type WebhookOptions } from "./actions/webhook.js";
