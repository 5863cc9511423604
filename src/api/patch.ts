// Applies the patch types kubectl sends: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
// and strategic merge patch, treated as a merge patch (these kinds have no patch strategies).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError, Reason, badRequest } from './errors.ts';
import { decodeBody, mediaType } from './body.ts';

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
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

// Strategic merge patch directives ($patch, $retainKeys, $setElementOrder/…, $deleteFromPrimitiveList/…) are dropped.
function stripDirectives(patch: unknown): unknown {
  if (Array.isArray(patch)) return patch.map(stripDirectives);
  if (typeof patch !== 'object' || patch === null) return patch;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
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

/** Applies a PATCH body of the given Content-Type to `current`, returning the new object. */
export function applyPatch(current: Record<string, unknown>, body: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
  const type = mediaType(contentType);
  if (type === PatchType.apply) {
    throw new ApiError(415, Reason.UnsupportedMediaType, 'server-side apply (application/apply-patch+yaml) is not supported by pxevirt: use client-side `kubectl apply` (without --server-side)');
  }
  if (type !== PatchType.merge && type !== PatchType.json && type !== PatchType.strategic) {
    throw new ApiError(
      415,
      Reason.UnsupportedMediaType,
      `the body of the request was in an unknown format - accepted media types include: ${PatchType.json}, ${PatchType.merge}, ${PatchType.strategic}`,
    );
  }
  const patch = decodeBody(body, 'application/json');
  let result: unknown;
  if (type === PatchType.json) {
    if (!Array.isArray(patch)) throw badRequest('a JSON patch must be an array of operations');
    try {
      result = jsonpatch.applyPatch(structuredClone(current), patch as Operation[], true, false).newDocument;
    } catch (err) {
      throw new ApiError(422, Reason.Invalid, `the server rejected our request due to an error in our request: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  } else {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw badRequest('a merge patch must be a JSON object');
    result = mergePatch(current, type === PatchType.strategic ? stripDirectives(patch) : patch);
  }
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw badRequest('the patch must leave an object');
  return result as Record<string, unknown>;
}
