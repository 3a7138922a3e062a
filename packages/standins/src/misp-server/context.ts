// What every route of the stand-in receives, and the small helpers routes share.

import type { EchoMessage } from "./echo.js";
import type { Reply } from "./responses.js";
import type { StandinRole, StandinUser } from "./rules.js";
import type { Store } from "./store.js";

export interface StandinConfig {
  readonly hostOrgId: number;
  readonly rejectV3Onions: boolean;
  readonly user: StandinUser;
  /** Ids of the sharing groups the key may use (distribution 4). */
  readonly sharingGroups: readonly number[];
}

export interface RouteContext {
  readonly method: string;
  /** The request path as MISP's `url` fields show it. */
  readonly path: string;
  /** Positional URL segments after `/<controller>/<action>`. */
  readonly args: readonly string[];
  /** CakePHP named parameters (`/includeAttachments:0`). */
  readonly named: Readonly<Record<string, string>>;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  readonly store: Store;
  readonly config: StandinConfig;
  /** Queues a bus message; the server publishes the batch after the HTTP answer has gone out. */
  emit(message: EchoMessage): void;
}

export type PermissionFlag = keyof Omit<StandinRole, "id" | "name">;

export interface Route {
  readonly methods: readonly string[];
  /** ACLComponent: the role flag the action needs; 403 "You do not have permission to use this functionality." */
  readonly permission?: PermissionFlag;
  handle(ctx: RouteContext): Reply;
}

export type Json = Record<string, unknown>;

export function asRecord(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

export function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : fallback;
}

/** PHP's truthiness for request fields ("0", 0, "", false, null are empty). */
export function truthy(value: unknown): boolean {
  return !(value === undefined || value === null || value === false || value === 0 || value === "" || value === "0");
}

/** PHP json_encode with default flags: escaped slashes and \u escapes, as MISP's error strings contain. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
