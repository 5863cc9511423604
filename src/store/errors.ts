// One error class per store failure, with its facts; the API maps each to a Kubernetes
// Status in exactly one place.
import type { ResourceKey } from './types.ts';

const what = (key: ResourceKey) => (key.group ? `${key.resource}.${key.group}` : key.resource);

/** The object does not exist (HTTP 404, reason NotFound). */
export class NotFoundError extends Error {
  readonly key: ResourceKey;
  readonly objectName: string;
  constructor(key: ResourceKey, name: string) {
    super(`${what(key)} "${name}" not found`);
    this.name = 'NotFoundError';
    this.key = key;
    this.objectName = name;
  }
}

/** The name is taken (HTTP 409, reason AlreadyExists). */
export class AlreadyExistsError extends Error {
  readonly key: ResourceKey;
  readonly objectName: string;
  constructor(key: ResourceKey, name: string) {
    super(`${what(key)} "${name}" already exists`);
    this.name = 'AlreadyExistsError';
    this.key = key;
    this.objectName = name;
  }
}

/** A stale resourceVersion or failed precondition (HTTP 409, reason Conflict). */
export class ConflictError extends Error {
  readonly key: ResourceKey;
  readonly objectName: string;
  readonly expected: string;
  readonly found: string;
  constructor(key: ResourceKey, name: string, expected: string, found: string) {
    super(
      `Operation cannot be fulfilled on ${what(key)} "${name}": the object has been modified; please apply your changes to the latest version and try again (expected resourceVersion ${expected}, found ${found})`,
    );
    this.name = 'ConflictError';
    this.key = key;
    this.objectName = name;
    this.expected = expected;
    this.found = found;
  }
}

/** The requested resourceVersion is older than the kept history (HTTP 410, reason Expired). */
export class GoneError extends Error {
  readonly requested: string;
  readonly oldest: string;
  constructor(requested: string, oldest: string) {
    super(`too old resource version: ${requested} (${oldest})`);
    this.name = 'GoneError';
    this.requested = requested;
    this.oldest = oldest;
  }
}

/** A selector or continue token that cannot be parsed (HTTP 400, reason BadRequest). */
export class BadQueryError extends Error {
  readonly parameter: string;
  readonly found: string;
  constructor(parameter: string, found: string, expected: string) {
    super(`unable to parse ${parameter} ${JSON.stringify(found)}: expected ${expected}`);
    this.name = 'BadQueryError';
    this.parameter = parameter;
    this.found = found;
  }
}

/** A delete precondition on uid failed (HTTP 409, reason Conflict): the name now belongs to another object. */
export class UidConflictError extends ConflictError {
  constructor(key: ResourceKey, name: string, expected: string, found: string) {
    super(key, name, expected, found);
    this.name = 'UidConflictError';
    this.message = `Precondition failed: UID in precondition: ${expected}, UID in object meta: ${found}`;
  }
}

/** Another process holds the store's database (a second daemon on the same data dir). */
export class StoreLockedError extends Error {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(`the store ${path} is in use by another process (expected to open it alone, found it locked)`, options);
    this.name = 'StoreLockedError';
    this.path = path;
  }
}

/** Syncing committed writes to disk failed: they were not acknowledged (HTTP 500). */
export class DurabilityError extends Error {
  readonly file: string;
  constructor(file: string, options?: { cause?: unknown }) {
    super(`the store could not sync ${file} to disk; the write may not survive a power loss and was not acknowledged`, options);
    this.name = 'DurabilityError';
    this.file = file;
  }
}
