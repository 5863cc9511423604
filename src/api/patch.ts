// Applies the patch types kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// and strategic merge patch, treated as a merge patch (these kinds have no patch strategies).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, Reason, badRequest } from './errors.ts';
import { ownValue, setOwn } from '../lib/is-object.ts';
import { decodeBody, mediaType } from './body.ts';
import { MAX_JSON_PATCH_OPERATIONS, MAX_PATCH_COPY_BYTES } from './limits.ts';

export const PatchType = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** RFC 7386: objects merge recursively, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const base: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    // Own members only: a patch's `__proto__` is a field like any other, never the prototype.
    else setOwn(base, key, mergePatch(ownValue(base, key), value));
  }
  return base;
}

// Strategic merge patch directives ($patch, $retainKeys, $setElementOrder/…, $deleteFromPrimitiveList/…) are dropped.
function stripDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (typeof patch !== 'object' || patch === null) return patch;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) if (!k.startsWith('$')) setOwn(out, k, stripDirectives(v));
  return out;
}

/**
 * Refuses strategic merge patch for custom kinds, as kube-apiserver does for CRDs (only the
 * built-in kinds, here the core group's Namespace and Event, have patch strategies).
 */
export function checkPatchType(group: string, gvk: string, contentType: string | undefined): void {
  if (group === '' || mediaType(contentType) !== PatchType.strategic) return;
  throw new ApiError(
    415,
    Reason.UnsupportedMediaType,
    `${PatchType.strategic} is not supported by ${gvk}: the body of the request was in an unknown format - accepted media types include: ${PatchType.json}, ${PatchType.merge}, ${PatchType.apply}`,
  );
}

/** Applies a PATCH body of the given Content-Type to `current`, returning the new object (server-side apply is field-managers.ts). */
export function applyPatch(current: Record<string, unknown>, body: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
  const type = mediaType(contentType);
  if (type !== PatchType.merge && type !== PatchType.json && type !== PatchType.strategic) {
    throw new ApiError(
      415,
      Reason.UnsupportedMediaType,
      `the body of the request was in an unknown format - accepted media types include: ${PatchType.json}, ${PatchType.merge}, ${PatchType.strategic}, ${PatchType.apply}`,
    );
  }
  const patch = decodeBody(body, 'application/json');
  let result: unknown;
  if (type === PatchType.json) {
    if (!Array.isArray(patch)) throw badRequest('a JSON patch must be an array of operations');
    result = applyJsonPatch(current, patch);
  } else {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw badRequest('a merge patch must be a JSON object');
    result = mergePatch(current, type === PatchType.strategic ? stripDirectives(patch) : patch);
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw badRequest('the patch must leave an object');
  return result as Record<string, unknown>;
}

const unprocessable = (message: string) => new ApiError(422, Reason.Invalid, `the server rejected our request due to an error in our request: ${message}`);

/**
 * RFC 6902 section 4.4: "from" must not be a proper prefix of "path" (a location cannot be moved
 * into one of its children). fast-json-patch does not check it, and moving the root under itself
 * would make the document contain itself.
 */
function checkMove({ from, path }: { from: unknown; path: unknown }): void {
  if (typeof from === 'string' && typeof path === 'string' && path.startsWith(`${from}/`)) throw unprocessable(`move operation: "from" ${JSON.stringify(from)} is a proper prefix of "path" ${JSON.stringify(path)}: a location cannot be moved into one of its children`);
}

/**
 * RFC 6902, one operation at a time so that `copy` is bounded: each copy adds the size of what
 * it copies, and past MAX_PATCH_COPY_BYTES the patch is refused before the document grows
 * (22 copies of a doubling subtree would otherwise make hundreds of megabytes).
 */
export function applyJsonPatch(current: Record<string, unknown>, operations: unknown[]): unknown {
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(413, Reason.RequestEntityTooLarge, `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`);
  }
  let document: unknown = structuredClone(current);
  let copied = 0;
  operations.forEach((op, index) => {
    try {
      if ((op as Operation).op === 'move') checkMove(op as { from: unknown; path: unknown });
      jsonpatch.validate([op as Operation], document);
      if ((op as Operation).op === 'copy') {
        const value: unknown = jsonpatch.getValueByPointer(document, (op as { from: string }).from);
        copied += Buffer.byteLength(JSON.stringify(value) ?? '');
        if (copied > MAX_PATCH_COPY_BYTES) {
          throw unprocessable(`Unable to complete the copy, the accumulated size increase of copy is ${copied}, exceeding the limit ${MAX_PATCH_COPY_BYTES}`);
        }
      }
      document = jsonpatch.applyOperation(document, op as Operation, false, true, true, index).newDocument;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw unprocessable(err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
    }
  });
  return document;
}
