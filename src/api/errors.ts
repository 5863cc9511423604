// The API's one error class, and the one place any failure becomes a Kubernetes Status.
import { AlreadyExistsError, BadQueryError, ConflictError, GoneError, NotFoundError } from '../store/errors.ts';
import { ValidationError, type Cause } from '../resources/causes.ts';

export const Reason = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Expired',
  Invalid: 'Invalid',
  MethodNotAllowed: 'MethodNotAllowed',
  NotAcceptable: 'NotAcceptable',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  UnsupportedMediaType: 'UnsupportedMediaType',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
  Timeout: 'Timeout',
  TooManyRequests: 'TooManyRequests',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Cause[] | Array<{ reason?: string; message: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** A Kubernetes `Status` body (failure or success). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: Reason;
  details?: StatusDetails;
  code: number;
}

/** A request the API refuses: the HTTP code, the Kubernetes reason, the message and details. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: Reason;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: Reason, message: string, details?: StatusDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }
}

/** 400 BadRequest with a message. */
export const badRequest = (message: string, details?: StatusDetails): ApiError => new ApiError(400, Reason.BadRequest, message, details);

/** 404 NotFound for `<resource>[.<group>] "<name>"`. */
export const notFound = (group: string, resource: string, name: string): ApiError =>
  new ApiError(404, Reason.NotFound, `${group ? `${resource}.${group}` : resource} "${name}" not found`, { name, ...(group ? { group } : {}), kind: resource });

const failure = (code: number, reason: Reason, message: string, details?: StatusDetails): Status => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  ...(details ? { details } : {}),
  code,
});

/** Maps any thrown value to the Status the client sees (the only such mapping). */
export function toStatus(err: unknown): Status {
  if (err instanceof ApiError) return failure(err.code, err.reason, err.message, err.details);
  if (err instanceof NotFoundError) {
    return failure(404, Reason.NotFound, err.message, { name: err.objectName, ...(err.key.group ? { group: err.key.group } : {}), kind: err.key.resource });
  }
  if (err instanceof AlreadyExistsError) {
    return failure(409, Reason.AlreadyExists, err.message, { name: err.objectName, ...(err.key.group ? { group: err.key.group } : {}), kind: err.key.resource });
  }
  if (err instanceof ConflictError) {
    return failure(409, Reason.Conflict, err.message, { name: err.objectName, ...(err.key.group ? { group: err.key.group } : {}), kind: err.key.resource });
  }
  if (err instanceof GoneError) return failure(410, Reason.Expired, `The resourceVersion for the provided list is too old: ${err.message}`);
  if (err instanceof BadQueryError) return failure(400, Reason.BadRequest, err.message);
  if (err instanceof ValidationError) {
    const causes = err.causes.map((c) => ({ reason: c.type, message: c.message, field: c.field }));
    return failure(422, Reason.Invalid, err.causes.map((c) => `${c.field}: ${c.message}`).join(', '), { causes });
  }
  const message = err instanceof Error ? err.message : String(err);
  return failure(500, Reason.InternalError, `Internal error occurred: ${message}`);
}

/** A Status Success body, as DELETE returns when the object is gone. */
export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
