// Just enough Kubernetes protobuf to read what kubectl's typed clients send for built-in
// kinds (`kubectl create namespace x` posts a protobuf Namespace and does not fall back to
// JSON): the `k8s\0` runtime.Unknown envelope, ObjectMeta's plain fields, Namespace, Secret,
// ConfigMap, and the access reviews `kubectl auth can-i` posts.
import { ApiError, Reason } from './errors.ts';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field = { no: number; wire: number; value: Buffer | number };

/** Splits one protobuf message into its fields (varint and length-delimited only). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= buf.length) throw new Error('truncated varint');
      const b = buf[at++] as number;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (at < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    const no = Math.floor(tag / 8);
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 2) {
      const len = varint();
      if (at + len > buf.length) throw new Error('truncated field');
      out.push({ no, wire, value: buf.subarray(at, at + len) });
      at += len;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field): string => (Buffer.isBuffer(f.value) ? f.value.toString('utf8') : String(f.value));

/** map<string, …> entries by key, each value turned into text by `text` ('' when absent). */
function mapOf(entries: Field[], text: (v: Field) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    if (!Buffer.isBuffer(e.value)) continue;
    const kv = fields(e.value);
    const k = kv.find((f) => f.no === 1);
    const v = kv.find((f) => f.no === 2);
    if (k) out[str(k)] = v ? text(v) : '';
  }
  return out;
}

const stringMap = (entries: Field[]): Record<string, string> => mapOf(entries, str);

function objectMeta(buf: Buffer): Record<string, unknown> {
  const fs = fields(buf);
  const meta: Record<string, unknown> = {};
  const one = (no: number) => fs.find((f) => f.no === no);
  for (const [no, key] of [[1, 'name'], [2, 'generateName'], [3, 'namespace'], [6, 'resourceVersion']] as const) {
    const f = one(no);
    if (f && str(f) !== '') meta[key] = str(f);
  }
  const labels = fs.filter((f) => f.no === 11);
  if (labels.length > 0) meta.labels = stringMap(labels);
  const annotations = fs.filter((f) => f.no === 12);
  if (annotations.length > 0) meta.annotations = stringMap(annotations);
  const finalizers = fs.filter((f) => f.no === 14).map(str);
  if (finalizers.length > 0) meta.finalizers = finalizers;
  return meta;
}

/** Named string fields of a message: field number → key. */
function strings(buf: Buffer, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields(buf)) {
    const key = names[f.no];
    if (key && Buffer.isBuffer(f.value) && f.value.length > 0) out[key] = str(f);
  }
  return out;
}

const message = (buf: Buffer, no: number): Buffer | undefined => {
  const f = fields(buf).find((x) => x.no === no);
  return f && Buffer.isBuffer(f.value) ? f.value : undefined;
};

function namespace(raw: Buffer): Record<string, unknown> {
  const object: Record<string, unknown> = { metadata: {} };
  for (const f of fields(raw)) {
    if (!Buffer.isBuffer(f.value)) continue;
    if (f.no === 1) object.metadata = objectMeta(f.value);
    const finalizers = f.no === 2 ? fields(f.value).filter((x) => x.no === 1).map(str) : [];
    if (finalizers.length > 0) object.spec = { finalizers };
  }
  return object;
}

/** map<string, bytes> entries as the JSON form has them: base64 text by key. */
const bytesMap = (entries: Field[]): Record<string, string> => mapOf(entries, (v) => (Buffer.isBuffer(v.value) ? v.value.toString('base64') : ''));

type FieldKind = 'meta' | 'string' | 'bool' | 'stringMap' | 'bytesMap';

/** A message whose fields are ObjectMeta, strings, bools and maps, by field number → [JSON key, kind]. */
function flatObject(raw: Buffer, layout: Record<number, readonly [string, FieldKind]>): Record<string, unknown> {
  const fs = fields(raw);
  const object: Record<string, unknown> = { metadata: {} };
  for (const [no, [key, kind]] of Object.entries(layout)) {
    const mine = fs.filter((f) => f.no === Number(no));
    const first = mine[0];
    if (first === undefined) continue;
    if (kind === 'meta' && Buffer.isBuffer(first.value)) object[key] = objectMeta(first.value);
    else if (kind === 'string' && str(first) !== '') object[key] = str(first);
    else if (kind === 'bool') object[key] = first.value === 1;
    else if (kind === 'stringMap') object[key] = stringMap(mine);
    else if (kind === 'bytesMap') object[key] = bytesMap(mine);
  }
  return object;
}

// core/v1 Secret and ConfigMap (k8s.io/api/core/v1/generated.proto).
const secret = (raw: Buffer) => flatObject(raw, { 1: ['metadata', 'meta'], 2: ['data', 'bytesMap'], 3: ['type', 'string'], 4: ['stringData', 'stringMap'], 5: ['immutable', 'bool'] });
const configMap = (raw: Buffer) => flatObject(raw, { 1: ['metadata', 'meta'], 2: ['data', 'stringMap'], 3: ['binaryData', 'bytesMap'], 4: ['immutable', 'bool'] });

// authorization/v1 SelfSubjectAccessReviewSpec: resourceAttributes 1, nonResourceAttributes 2.
const RESOURCE_ATTRIBUTES = { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' };
function accessReview(raw: Buffer): Record<string, unknown> {
  const spec = message(raw, 2) ?? Buffer.alloc(0);
  const resource = message(spec, 1);
  const nonResource = message(spec, 2);
  return {
    metadata: {},
    spec: {
      ...(resource ? { resourceAttributes: strings(resource, RESOURCE_ATTRIBUTES) } : {}),
      ...(nonResource ? { nonResourceAttributes: strings(nonResource, { 1: 'path', 2: 'verb' }) } : {}),
    },
  };
}

const rulesReview = (raw: Buffer): Record<string, unknown> => ({ metadata: {}, spec: strings(message(raw, 2) ?? Buffer.alloc(0), { 1: 'namespace' }) });

const DECODERS: Record<string, (raw: Buffer) => Record<string, unknown>> = {
  'v1 Namespace': namespace,
  'v1 Secret': secret,
  'v1 ConfigMap': configMap,
  'authorization.k8s.io/v1 SelfSubjectAccessReview': accessReview,
  'authorization.k8s.io/v1 SelfSubjectRulesReview': rulesReview,
};

/** Decodes a protobuf-encoded Namespace or access review; anything else is a 415 asking for JSON. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  const refuse = (why: string) =>
    new ApiError(415, Reason.UnsupportedMediaType, `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf: ${why})`);
  if (!body.subarray(0, 4).equals(MAGIC)) throw refuse('missing the k8s envelope');
  try {
    const envelope = fields(body.subarray(4));
    const typeMeta = envelope.find((f) => f.no === 1);
    const raw = envelope.find((f) => f.no === 2);
    const tm = typeMeta && Buffer.isBuffer(typeMeta.value) ? strings(typeMeta.value, { 1: 'apiVersion', 2: 'kind' }) : {};
    const apiVersion = tm.apiVersion ?? '';
    const kind = tm.kind ?? '';
    const decode = DECODERS[`${apiVersion} ${kind}`];
    if (!decode || !raw || !Buffer.isBuffer(raw.value)) throw refuse(`only ${Object.keys(DECODERS).join(', ')} are understood, found ${apiVersion} ${kind}`);
    return { apiVersion, kind, ...decode(raw.value) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw refuse(err instanceof Error ? err.message : String(err));
  }
}
