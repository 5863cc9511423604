// Secret and ConfigMap (core v1), as kube-apiserver keeps them: Secret data is base64 on the
// wire and stringData is folded into it on write (never stored); keys are config keys; a
// Secret's values never reach a table or `describe` (kubectl's describer prints sizes).
import { CauseType, type Cause } from './causes.ts';
import type { KindInfo } from './kind.ts';
import { objectSchema } from './meta-schema.ts';
import { validateObjectName } from './names.ts';
import { clone, isObj, type Obj } from './object-path.ts';
import { schemaCauses } from './schema-check.ts';
import { boolean, map, string } from './schema-builders.ts';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
/** kube-apiserver's limit on a Secret's or ConfigMap's data (1 MiB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const secretSchema = objectSchema({
  data: map(string(), 'Base64 values by key.'),
  stringData: map(string(), 'Plain values by key, folded into data on write (never stored).'),
  type: string('Opaque unless said otherwise.'),
  immutable: boolean(),
});

const configMapSchema = objectSchema({
  data: map(string()),
  binaryData: map(string(), 'Base64 values by key.'),
  immutable: boolean(),
});

/** Where a base64 text stops being base64 (Go's "illegal base64 data at input byte N"), or undefined. */
export function base64Error(text: string): number | undefined {
  const at = text.search(/[^A-Za-z0-9+/=]/);
  if (at >= 0) return at;
  const pad = text.indexOf('=');
  if (pad >= 0 && (pad < text.length - 2 || /[^=]/.test(text.slice(pad)))) return pad;
  if (text.length % 4 !== 0) return text.length - (text.length % 4);
  return undefined;
}

function keyCauses(o: Obj, field: string): Cause[] {
  const causes: Cause[] = [];
  if (!isObj(o[field])) return causes;
  for (const key of Object.keys(o[field] as Obj)) {
    if (key.length > 253 || !CONFIG_KEY.test(key)) {
      causes.push({ type: CauseType.Invalid, field: `${field}[${key}]`, message: `Invalid value: ${JSON.stringify(key)}: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')` });
    }
  }
  return causes;
}

function base64Causes(o: Obj, field: string): Cause[] {
  if (!isObj(o[field])) return [];
  return Object.entries(o[field] as Obj).flatMap(([key, v]): Cause[] => {
    const at = typeof v === 'string' ? base64Error(v) : undefined;
    return at === undefined ? [] : [{ type: CauseType.Invalid, field: `${field}[${key}]`, message: `Invalid value: expected base64 text, found illegal base64 data at input byte ${at}` }];
  });
}

function sizeCauses(o: Obj, fields: string[]): Cause[] {
  const size = fields.reduce((n, f) => n + (isObj(o[f]) ? Object.entries(o[f] as Obj).reduce((m, [k, v]) => m + k.length + (typeof v === 'string' ? v.length : 0), 0) : 0), 0);
  return size > MAX_CONFIG_BYTES ? [{ type: CauseType.Invalid, field: fields[0] ?? 'data', message: `Too long: must have at most ${MAX_CONFIG_BYTES} bytes, found ${size}` }] : [];
}

/** The number of keys of `field` (the Data column). */
const countOf = (field: string) => (o: Obj): number => (isObj(o[field]) ? Object.keys(o[field] as Obj).length : 0);

export const secretKind: KindInfo = {
  group: '',
  versions: ['v1'],
  kind: 'Secret',
  listKind: 'SecretList',
  plural: 'secrets',
  singular: 'secret',
  shortNames: [],
  namespaced: true,
  statusSubresource: false,
  schema: secretSchema,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Data', type: 'integer', jsonPath: '.data', value: countOf('data') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o) => {
    const out = clone(o);
    if (out.type === undefined) out.type = 'Opaque';
    if (isObj(out.stringData)) {
      const data = isObj(out.data) ? { ...out.data } : {};
      for (const [k, v] of Object.entries(out.stringData)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
      out.data = data;
      delete out.stringData;
    }
    return out;
  },
  validate: (o) => [...schemaCauses(secretSchema, o), ...validateObjectName(o), ...keyCauses(o, 'data'), ...keyCauses(o, 'stringData'), ...base64Causes(o, 'data'), ...sizeCauses(o, ['data'])],
};

export const configMapKind: KindInfo = {
  group: '',
  versions: ['v1'],
  kind: 'ConfigMap',
  listKind: 'ConfigMapList',
  plural: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  statusSubresource: false,
  schema: configMapSchema,
  printerColumns: [
    { name: 'Data', type: 'integer', jsonPath: '.data', value: (o) => countOf('data')(o) + countOf('binaryData')(o) },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
  default: (o) => clone(o),
  validate: (o) => [...schemaCauses(configMapSchema, o), ...validateObjectName(o), ...keyCauses(o, 'data'), ...keyCauses(o, 'binaryData'), ...base64Causes(o, 'binaryData'), ...sizeCauses(o, ['data', 'binaryData'])],
};
