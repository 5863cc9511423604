// The API's bounds on what one write may make: the stored object's size, its annotations, and
// what a JSON patch may copy. The numbers are kube-apiserver's (docs/security.md, "API limits").
import { ApiError, Reason } from './errors.ts';

/** The largest object stored, serialised (etcd's default request limit, 1.5 MiB). */
export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;

/** The total size of an object's annotation keys and values (apimachinery's TotalAnnotationSizeLimitB). */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/** Operations in one JSON patch (kube-apiserver's maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

/** Bytes a JSON patch's `copy` operations may add together (kube-apiserver sets json-patch's AccumulatedCopySizeLimit to its body limit). */
export const MAX_PATCH_COPY_BYTES = 3 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** 413 unless the object serialises to at most MAX_OBJECT_BYTES. */
export function checkObjectSize(object: unknown): void {
  const size = Buffer.byteLength(JSON.stringify(object) ?? '');
  if (size > MAX_OBJECT_BYTES) {
    throw new ApiError(413, Reason.RequestEntityTooLarge, `Request entity too large: the object is ${size} bytes serialised, limit is ${MAX_OBJECT_BYTES}`);
  }
}

/** 422 with apimachinery's message unless the annotations total at most MAX_ANNOTATIONS_BYTES. */
export function checkAnnotations(object: Record<string, unknown>, name: string, qualifiedKind: string): void {
  const meta = object.metadata;
  if (!isObject(meta) || !isObject(meta.annotations)) return;
  let total = 0;
  for (const [k, v] of Object.entries(meta.annotations)) total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : JSON.stringify(v) ?? '');
  if (total <= MAX_ANNOTATIONS_BYTES) return;
  const message = `Too long: must have at most ${MAX_ANNOTATIONS_BYTES} bytes`;
  throw new ApiError(422, Reason.Invalid, `${qualifiedKind} "${name}" is invalid: metadata.annotations: ${message}`, {
    name,
    kind: qualifiedKind,
    causes: [{ reason: 'FieldValueTooLong', message, field: 'metadata.annotations' }],
  });
}

/** Both checks on an object about to be stored. */
export function checkStoredBounds(object: Record<string, unknown>, name: string, qualifiedKind: string): void {
  checkAnnotations(object, name, qualifiedKind);
  checkObjectSize(object);
}
