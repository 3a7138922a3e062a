// The misp-modules server as the daemon sees it (misp-contract/modules.md). The client narrows
// every answer into these shapes; nothing else reads module JSON.

import type { Attribute } from "../decode/types.js";

export type ModuleFormat = "misp_standard" | "legacy";

/** One entry of `GET /modules`, narrowed. */
export interface ModuleDescriptor {
  readonly name: string;
  /** The folder: "expansion", "import_mod", "export_mod", "action_mod". */
  readonly type: string;
  readonly format: ModuleFormat;
  /** Attribute types the module accepts (`mispattributes.input`). */
  readonly inputTypes: readonly string[];
  /** Config keys it reads (`meta.config` when a list); each is always sent, `null` when unset. */
  readonly configKeys: readonly string[];
  readonly description: string;
  readonly moduleTypes: readonly string[];
}

/** An attribute a module produced, in MISP's write shape but typed. */
export interface ResultAttribute {
  readonly type: string;
  readonly value: string;
  readonly category?: string;
  readonly objectRelation?: string;
  readonly toIds?: boolean;
  readonly disableCorrelation?: boolean;
  /** Empty when the module's comment was a placeholder (modules.md §4c, §8). */
  readonly comment?: string;
  readonly tags: readonly string[];
}

export interface ResultReference {
  /** The uuid the module referenced: the input attribute's uuid, or another result object's. */
  readonly referencedUuid: string;
  readonly relationshipType: string;
}

export interface ResultObject {
  readonly name: string;
  readonly metaCategory: string;
  readonly description: string;
  readonly templateUuid: string;
  readonly templateVersion: string;
  /** The module's own uuid: fresh on every call, never an idempotency key; used only to resolve references between result objects. */
  readonly moduleUuid?: string;
  readonly comment?: string;
  readonly attributes: readonly ResultAttribute[];
  readonly references: readonly ResultReference[];
}

/** A module answer, normalised. */
export interface ModuleResult {
  readonly module: string;
  readonly format: ModuleFormat;
  readonly objects: readonly ResultObject[];
  /** New standalone attributes (legacy results, and misp_standard attributes other than the echoed input). */
  readonly attributes: readonly ResultAttribute[];
  /** Tags the module put on the echoed input attribute: attach these to the source, never add a second attribute. */
  readonly sourceTags: readonly string[];
}

export interface QueryOptions {
  readonly signal?: AbortSignal;
  /** Extra config for this query; merged over the configured one. */
  readonly config?: Readonly<Record<string, unknown>>;
  readonly eventId?: number;
}

export interface ModulesClient {
  /** `GET /modules`, cached for `discoveryTtlMs`. */
  list(signal?: AbortSignal): Promise<readonly ModuleDescriptor[]>;
  /** The `Server` header of the last `/modules` answer (undefined before one, or when it had none). */
  serverHeader(): string | undefined;
  /** Finds a module; throws ENRICHD_MODULE_MISSING when the server does not offer it. */
  describe(module: string, signal?: AbortSignal): Promise<ModuleDescriptor>;
  /**
   * `POST /query` in the module's own format. Throws ENRICHD_MODULE_ERROR for `{"error": ...}` or
   * `false`, ENRICHD_MODULE_TIMEOUT, ENRICHD_MODULE_UNAVAILABLE for connection errors and 5xx.
   */
  query(module: string, attribute: Attribute, options?: QueryOptions): Promise<ModuleResult>;
  close(): Promise<void>;
}
