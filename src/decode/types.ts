// Typed MISP bus messages. Everything downstream of decode/ sees these, never raw JSON:
// MISP's string integers are numbers here, booleans are booleans, and actions are normalised
// to kebab-case words ("attached to attribute" -> "attached-to-attribute").

/** Where a frame came from. */
export type Transport = "zmq" | "kafka" | "replay" | "backfill" | "manual";

/** One frame as a bus delivers it: the topic and the raw payload bytes, unparsed. */
export interface BusFrame {
  /** ZeroMQ topic (`misp_json_attribute`) or Kafka topic name (`misp_attribute`). */
  readonly topic: string;
  readonly payload: Buffer;
  readonly transport: Transport;
  readonly receivedAt: number;
  /** Transport position for logs, e.g. `misp_attribute/2@1711`. */
  readonly position?: string;
  /**
   * Aborted when the transport will deliver this frame again elsewhere (a Kafka rebalance hands its
   * partition on): work for it that has not started yet is dropped instead of being done twice.
   */
  readonly revoked?: AbortSignal;
}

/** The normalised kinds of message, one per MISP topic family (pubsub.md §3, §8). */
export const MESSAGE_KINDS = [
  "attribute",
  "object",
  "object-reference",
  "tag",
  "event",
  "publish",
  "sighting",
  "user",
  "organisation",
  "conversation",
  "audit",
  "warninglist",
  "workflow",
  "shadow-attribute",
  "heartbeat",
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Normalised actions per kind. Where MISP sends no action, decode/ supplies the word shown. */
export interface ActionsByKind {
  attribute: "add" | "edit" | "soft-delete" | "delete";
  object: "add" | "edit" | "soft-delete" | "delete";
  "object-reference": "add" | "edit" | "soft-delete";
  tag:
    | "add"
    | "edit"
    | "delete"
    | "attached-to-attribute"
    | "detached-from-attribute"
    | "attached-to-event"
    | "detached-from-event";
  event:
    | "add"
    | "edit"
    | "delete"
    | "add-from-connected-server"
    | "edit-from-connected-server"
    | "manual-publish";
  /** ZeroMQ `misp_json` has no action: it is always "publish". Kafka adds the others. */
  publish: "publish" | "unpublish" | "delete" | "manual-publish";
  sighting: "add" | "delete";
  user: "add" | "edit" | "login" | "logout";
  /** ZeroMQ sends no action for organisations: "save". Kafka sends add/edit. */
  organisation: "add" | "edit" | "save";
  conversation: "thread" | "post";
  audit: "log";
  warninglist: "add" | "edit";
  /** `misp_json_workflow` carries whatever the workflow pushed: "push". */
  workflow: "push";
  "shadow-attribute": "add" | "edit" | "accept" | "discard";
  heartbeat: "beat";
}

export const ACTIONS_BY_KIND: { readonly [K in MessageKind]: readonly ActionsByKind[K][] } = {
  attribute: ["add", "edit", "soft-delete", "delete"],
  object: ["add", "edit", "soft-delete", "delete"],
  "object-reference": ["add", "edit", "soft-delete"],
  tag: [
    "add",
    "edit",
    "delete",
    "attached-to-attribute",
    "detached-from-attribute",
    "attached-to-event",
    "detached-from-event",
  ],
  event: ["add", "edit", "delete", "add-from-connected-server", "edit-from-connected-server", "manual-publish"],
  publish: ["publish", "unpublish", "delete", "manual-publish"],
  sighting: ["add", "delete"],
  user: ["add", "edit", "login", "logout"],
  organisation: ["add", "edit", "save"],
  conversation: ["thread", "post"],
  audit: ["log"],
  warninglist: ["add", "edit"],
  workflow: ["push"],
  "shadow-attribute": ["add", "edit", "accept", "discard"],
  heartbeat: ["beat"],
};

export interface Tag {
  readonly id: number;
  readonly name: string;
  readonly colour?: string;
  readonly exportable?: boolean;
  /** Attachment locality. Absent where MISP does not say (attribute attach messages). */
  readonly local?: boolean;
}

export interface Attribute {
  readonly id: number;
  readonly uuid: string;
  readonly eventId: number;
  /** 0 for a standalone attribute. */
  readonly objectId: number;
  readonly objectRelation: string | null;
  readonly category: string;
  readonly type: string;
  readonly value: string;
  readonly toIds: boolean;
  readonly timestamp: number;
  readonly distribution: number;
  readonly sharingGroupId: number;
  readonly comment: string;
  readonly deleted: boolean;
  readonly disableCorrelation: boolean;
  readonly firstSeen: string | null;
  readonly lastSeen: string | null;
  /** Empty when MISP sent no `Tag` key. Tags attached in the same request arrive later as tag messages. */
  readonly tags: readonly Tag[];
}

export interface EventSummary {
  readonly id: number;
  readonly uuid: string;
  readonly info: string;
  readonly date: string;
  readonly published: boolean;
  readonly orgId: number;
  readonly orgcId: number;
  readonly distribution: number;
  readonly sharingGroupId: number;
  readonly orgcUuid?: string;
  readonly orgcName?: string;
}

/** An `objects` row (no attributes: MISP publishes those separately). */
export interface ObjectRow {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly metaCategory: string;
  readonly templateUuid: string;
  readonly templateVersion: string;
  readonly eventId: number;
  readonly comment: string;
  readonly distribution: number;
  readonly sharingGroupId: number;
  readonly deleted: boolean;
  readonly timestamp: number;
}

export interface ObjectReferenceRow {
  readonly id: number;
  readonly uuid: string;
  readonly objectId: number;
  readonly eventId: number;
  readonly sourceUuid: string;
  readonly referencedUuid: string;
  readonly referencedId: number;
  readonly referencedType: "attribute" | "object";
  readonly relationshipType: string;
  readonly comment: string;
  readonly deleted: boolean;
}

/** The tag row of a tag message, plus the ids it was attached to (no uuids: pubsub.md §4.6). */
export interface TagAttachment extends Tag {
  readonly attributeId?: number;
  readonly eventId?: number;
  readonly localOnly: boolean;
}

export interface Sighting {
  readonly id: number;
  readonly uuid: string;
  readonly attributeId: number;
  readonly eventId: number;
  /** The organisation that reported the sighting. */
  readonly orgId: number;
  readonly type: "sighting" | "false-positive" | "expiration";
  readonly source: string;
  readonly dateSighting: number;
  readonly attribute?: { readonly uuid: string; readonly type: string; readonly value: string; readonly id: number };
  readonly eventUuid?: string;
}

interface MessageBase<K extends MessageKind> {
  readonly kind: K;
  readonly action: ActionsByKind[K];
  /** The topic exactly as it arrived. */
  readonly topic: string;
  readonly transport: Transport;
  readonly receivedAt: number;
  readonly position?: string;
  /** The parsed payload, for templates and `tail --json`. Never mutate. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface AttributeMessage extends MessageBase<"attribute"> {
  readonly attribute: Attribute;
  /** Absent on hard deletes, which carry only the raw row. */
  readonly event?: EventSummary;
  /** Present when the attribute belongs to an object. */
  readonly object?: ObjectRow;
}

export interface ObjectMessage extends MessageBase<"object"> {
  readonly object: ObjectRow;
}

export interface ObjectReferenceMessage extends MessageBase<"object-reference"> {
  readonly reference: ObjectReferenceRow;
}

export interface TagMessage extends MessageBase<"tag"> {
  readonly tag: TagAttachment;
}

export interface EventMessage extends MessageBase<"event"> {
  /** Absent for the pull variant, whose `Event` is a scalar id or uuid (`eventRef`). */
  readonly event?: EventSummary;
  readonly eventRef?: string;
  readonly tags: readonly Tag[];
}

export interface PublishMessage extends MessageBase<"publish"> {
  readonly event: EventSummary;
  readonly tags: readonly Tag[];
  /** Standalone and object attributes, flattened, each with its own tags. */
  readonly attributes: readonly Attribute[];
}

export interface SightingMessage extends MessageBase<"sighting"> {
  readonly sighting: Sighting;
}

export interface HeartbeatMessage extends MessageBase<"heartbeat"> {
  readonly status: string;
  readonly uptimeSeconds: number;
}

/** Topics the daemon routes but does not model field by field: read `raw`. */
export interface GenericMessage<K extends "user" | "organisation" | "conversation" | "audit" | "warninglist" | "workflow" | "shadow-attribute">
  extends MessageBase<K> {}

export type MispMessage =
  | AttributeMessage
  | ObjectMessage
  | ObjectReferenceMessage
  | TagMessage
  | EventMessage
  | PublishMessage
  | SightingMessage
  | HeartbeatMessage
  | GenericMessage<"user">
  | GenericMessage<"organisation">
  | GenericMessage<"conversation">
  | GenericMessage<"audit">
  | GenericMessage<"warninglist">
  | GenericMessage<"workflow">
  | GenericMessage<"shadow-attribute">;

export type MessageOfKind<K extends MessageKind> = Extract<MispMessage, { kind: K }>;
