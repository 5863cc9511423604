// Decodes request bodies: JSON or YAML, size-limited, alias bombs refused.
import { parse as parseYaml } from 'yaml';
import { ApiError, Reason, badRequest } from './errors.ts';
import { decodeProtobuf } from './protobuf.ts';

/** The API server's request body limit (3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The 413 the API answers for a body over the limit. */
export const tooLarge = (): ApiError => new ApiError(413, Reason.RequestEntityTooLarge, `Request entity too large: limit is ${MAX_BODY_BYTES}`);

/** The media type of a Content-Type header, lower case, without parameters. */
export const mediaType = (contentType: string | undefined): string => (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const isYaml = (type: string) => type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml' || type === 'application/apply-patch+yaml';

/** Parses a body as JSON (or YAML when the content type says so); errors are 400 with the parser's message. */
export function decodeBody(body: Buffer | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body.length === 0) throw badRequest('the request body is empty: expected a JSON or YAML object');
  if (body.length > MAX_BODY_BYTES) throw tooLarge();
  const text = body.toString('utf8');
  const type = mediaType(contentType);
  if (type === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(body);
  if (type.includes('protobuf') || type === 'application/cbor') {
    throw new ApiError(415, Reason.UnsupportedMediaType, `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (found ${type})`);
  }
  if (isYaml(type)) {
    try {
      // maxAliasCount bounds alias expansion: a "billion laughs" document is refused, not expanded.
      // resolveKnownTags off: `!!binary`, `!!set`, `!!timestamp` stay strings, as in JSON; the
      // round trip through JSON leaves only JSON values (no Map, Date or typed array reaches the handlers).
      const value: unknown = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true, resolveKnownTags: false });
      return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as unknown);
    } catch (err) {
      throw badRequest(`error decoding YAML body: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`error decoding JSON body: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Decodes a body that must be a JSON object. */
export function decodeObject(body: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
  const value = decodeBody(body, contentType);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest(`the request body must be an object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
