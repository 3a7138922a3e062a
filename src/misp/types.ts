// MISP's REST API as the daemon uses it (misp-contract/rest.md). The client narrows every answer;
// the writer turns a module result into the fewest idempotent calls the contract allows.

import type { Attribute, EventSummary, Tag } from "../decode/types.js";
import type { ModuleResult } from "../modules/types.js";
import type { WriteCause } from "./write-cause.js";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT";

/** One REST call, as dry-run prints it and the stand-in records it. */
export interface RestCall {
  readonly method: HttpMethod;
  /** Path below the MISP base URL, e.g. `/objects/add/<event-uuid>/<template-uuid>`. */
  readonly path: string;
  readonly body?: unknown;
}

export interface MispVersion {
  readonly version: string;
  readonly permSync: boolean;
  readonly permSighting: boolean;
}

/** `GET /users/view/me`, narrowed to what `check` and tag locality need. */
export interface MispSelf {
  readonly userId: number;
  readonly email: string;
  readonly orgId: number;
  readonly orgName: string;
  readonly role: {
    readonly name: string;
    readonly permAdd: boolean;
    readonly permModify: boolean;
    readonly permModifyOrg: boolean;
    readonly permTagger: boolean;
    readonly permTagEditor: boolean;
    readonly permSiteAdmin: boolean;
  };
}

/** An object to create, with client-chosen uuids already derived. */
export interface ObjectToWrite {
  readonly uuid: string;
  readonly name: string;
  readonly metaCategory: string;
  readonly description: string;
  readonly templateUuid: string;
  readonly templateVersion: string;
  readonly comment: string;
  readonly distribution: number;
  readonly attributes: readonly AttributeToWrite[];
}

export interface AttributeToWrite {
  readonly uuid: string;
  readonly type: string;
  readonly value: string;
  readonly category?: string;
  readonly objectRelation?: string;
  readonly toIds: boolean;
  readonly disableCorrelation?: boolean;
  readonly comment: string;
  readonly distribution: number;
  readonly tags: readonly { readonly name: string; readonly local: boolean }[];
}

export type CreateOutcome = "created" | "exists";

export interface MispClient {
  readonly baseUrl: string;
  getVersion(signal?: AbortSignal): Promise<MispVersion>;
  getSelf(signal?: AbortSignal): Promise<MispSelf>;
  /** `GET /attributes/view/{id|uuid}`; throws ENRICHD_MISP_REJECTED (405/404) when unknown. */
  viewAttribute(idOrUuid: string | number, signal?: AbortSignal): Promise<{ attribute: Attribute; eventUuid?: string }>;
  /** `GET /events/view/{uuid}/includeAttachments:0`: the references of each object, for reference dedup. */
  viewEventReferences(eventUuid: string, signal?: AbortSignal): Promise<ReadonlyMap<string, readonly { referencedUuid: string; relationshipType: string }[]>>;
  /** `POST /objects/add/{event}/{template}`; a 403 "not unique" uuid is `exists`, not an error. */
  addObject(eventUuid: string, object: ObjectToWrite, signal?: AbortSignal): Promise<CreateOutcome>;
  /** `POST /attributes/add/{event}`; a duplicate uuid is `exists`. */
  addAttribute(eventUuid: string, attribute: AttributeToWrite, signal?: AbortSignal): Promise<CreateOutcome>;
  /** `POST /objectReferences/add/{object}`: not idempotent on MISP's side; the writer dedups. */
  addReference(objectUuid: string, referencedUuid: string, relationshipType: string, signal?: AbortSignal): Promise<void>;
  /** `GET /events/index` filtered by `eventid` (id or uuid): the event's metadata and tags, no attributes. */
  viewEvent(idOrUuid: string | number, signal?: AbortSignal): Promise<EventDetails>;
  // The three writes below change someone else's data, and their echo reaches the other subscribers
  // and rules: `cause` says who writes (write-cause.ts), for the guarded client's echo guard. The
  // daemon's bookkeeping (once markers) passes null; absent means the same. The raw client ignores it.
  /** `POST /tags/attachTagToObject`; idempotent on MISP's side (an attached tag is reported `unchanged`). */
  attachTags(targetUuid: string, tags: readonly string[], local: boolean, signal?: AbortSignal, cause?: WriteCause | null): Promise<TagAttachOutcome>;
  /** `POST /tags/removeTagFromObject`; a tag that is not attached is `removed: false`, not an error. */
  removeTag(targetUuid: string, tag: string, signal?: AbortSignal, cause?: WriteCause | null): Promise<TagRemoveOutcome>;
  /** `POST /attributes/edit/{id|uuid}` with only the given fields (no timestamp: MISP uses "now"). */
  editAttribute(idOrUuid: string | number, fields: AttributeEdit, signal?: AbortSignal, cause?: WriteCause | null): Promise<void>;
  /** `POST /attributes/restSearch` for gap backfill. */
  searchAttributes(filters: AttributeSearch, signal?: AbortSignal): Promise<readonly { attribute: Attribute; event?: EventSummary }[]>;
  close(): Promise<void>;
}

export interface EventDetails {
  readonly event: EventSummary;
  /** The event's own tags, each with its locality. */
  readonly tags: readonly Tag[];
  readonly threatLevelId: number;
  readonly analysis: number;
}

export interface TagAttachOutcome {
  /** Tags that were attached already: MISP changed nothing and publishes nothing for them. */
  readonly unchanged: readonly string[];
}

export interface TagRemoveOutcome {
  readonly removed: boolean;
  /** A global tag was removed: MISP touched the attribute (an `edit` follows). */
  readonly global: boolean;
}

export interface AttributeEdit {
  readonly distribution?: number;
  readonly sharingGroupId?: number;
  readonly comment?: string;
  readonly toIds?: boolean;
}

export interface AttributeSearch {
  /** Epoch seconds: attributes changed since then. */
  readonly timestamp?: number;
  readonly type?: readonly string[];
  /** One event, by id or uuid. */
  readonly eventId?: number | string;
  readonly limit?: number;
  readonly page?: number;
}

/** What one subscriber asks the writer to persist for one source attribute. */
export interface EnrichmentWrite {
  readonly subscriber: string;
  /** How deep in a chain of the daemon's own writes the message that led here was (0: from MISP's users). */
  readonly depth?: number;
  readonly module: string;
  readonly eventUuid: string;
  readonly source: Pick<Attribute, "uuid" | "type" | "value">;
  readonly result: ModuleResult;
  /** Distribution of what is written; default 5 (inherit from the event). */
  readonly distribution?: number;
}

export interface WriteReport {
  readonly objects: readonly { readonly uuid: string; readonly name: string; readonly outcome: CreateOutcome }[];
  readonly attributes: readonly { readonly uuid: string; readonly type: string; readonly outcome: CreateOutcome }[];
  readonly referencesAdded: number;
  readonly tagsAttached: readonly string[];
  /** Parts MISP refused for good (e.g. a v3 onion-address on MISP 2.5.1), with the reason. */
  readonly refused: readonly { readonly what: string; readonly reason: string }[];
}

export interface MispWriter {
  writeEnrichment(write: EnrichmentWrite, signal?: AbortSignal): Promise<WriteReport>;
}
