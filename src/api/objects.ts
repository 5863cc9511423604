// Small object helpers shared by the read and write handlers.
import { randomBytes } from 'node:crypto';
import type { KindInfo } from '../resources/kind.ts';
import type { ObjectStore, ResourceKey, StoredObject } from '../store/types.ts';
import { apiVersionOf } from './registry.ts';
import type { ResourceRoute } from './route.ts';
import type { Mutator } from './admission.ts';
import { isObject } from '../lib/is-object.ts';
import type { WatchRegistry } from './watch-stream.ts';

/** What the handlers share: the store, the kinds and a clock. */
export interface ApiContext {
  store: ObjectStore;
  /** Every kind served (deleting a namespace empties it of each namespaced kind). */
  kinds: readonly KindInfo[];
  now: () => number;
  /** The mutating admission step run on every create and update (the daemon's MAC pool). */
  mutate?: Mutator;
  /** Open watches: their bound and the event lines they share. */
  watches: WatchRegistry;
}

/** One request against one kind, with the facts every handler needs. */
export interface ResourceCall {
  route: ResourceRoute;
  kind: KindInfo;
  key: ResourceKey;
  /** The apiVersion the client used (objects are returned in it). */
  apiVersion: string;
  /** The apiVersion objects are stored with (the kind's preferred version). */
  storedApiVersion: string;
  /** Warning header values to send (already formatted as `299 - "…"`). */
  warnings: string[];
}

/** The call for a route and kind. */
export function resourceCall(route: ResourceRoute, kind: KindInfo): ResourceCall {
  const warnings: string[] = [];
  const deprecation = kind.deprecated?.[route.version];
  if (deprecation) warnings.push(warning(deprecation));
  return {
    route,
    kind,
    key: { group: kind.group, resource: kind.plural },
    apiVersion: apiVersionOf(kind.group, route.version),
    storedApiVersion: apiVersionOf(kind.group, kind.versions[0] ?? route.version),
    warnings,
  };
}

/** A Warning header value (code 299, no agent). */
export const warning = (text: string): string => `299 - ${JSON.stringify(text)}`;

/** The object as the client asked for it: same fields, the requested apiVersion. */
export function asRequested(call: ResourceCall, object: StoredObject): StoredObject {
  return { ...object, apiVersion: call.apiVersion, kind: call.kind.kind };
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** A name from generateName: the prefix and five random characters, as the API server does. */
export function generatedName(prefix: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += NAME_CHARS[b % NAME_CHARS.length];
  return `${prefix}${suffix}`;
}


/** The metadata object of a decoded body (created empty when missing). */
export function metadataOf(object: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(object.metadata)) object.metadata = {};
  return object.metadata as Record<string, unknown>;
}

/** Drops nulls the way a Go decoder would for `creationTimestamp: null` and similar. */
export function dropNulls(meta: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(meta)) if (v === null) delete meta[k];
}

/** Deep equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
