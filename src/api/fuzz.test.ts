// Fuzzing the API's body parsing: arbitrary bytes, JSON, YAML and protobuf-looking bodies sent
// to create, replace and patch never crash the handler, always answer a Kubernetes Status with
// a 4xx when refused (never a 5xx), and a refused request never changes the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KINDS } from '../resources/kinds.ts';
import { openTestStore } from '../store/test-fixture.ts';
import { createApiHandler } from './handler.ts';

const TOKEN = 'fuzz';
const NAD_PATH = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';
const VMI_PATH = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';

const NAD = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'n' }, spec: { config: '{"cniVersion":"0.3.1","type":"bridge","bridge":"br1"}' } };
const VMI = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v' },
  spec: {
    domain: { devices: { disks: [{ name: 'd', disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] }, resources: { requests: { memory: '64Mi' } } },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'd', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
  },
};

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'application/cbor',
  'text/plain',
  '',
];

/** A JSON value shaped like an object at random places: a valid object with one part replaced. */
const mutated = (base: object): fc.Arbitrary<unknown> =>
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.array(fc.constantFrom('metadata', 'spec', 'name', 'domain', 'devices', 'disks', '0', 'annotations', 'labels', 'apiVersion', 'kind', 'config', 'managedFields'), { maxLength: 4 })).map(([value, path]) => {
    const copy = structuredClone(base) as Record<string, unknown>;
    let at: Record<string, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[path.at(-1) ?? 'spec'] = value;
    return copy;
  });

const body: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.oneof(mutated(NAD), mutated(VMI)).map((v) => Buffer.from(JSON.stringify(v))),
  fc.array(fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'), path: fc.constantFrom('', '/', '/spec', '/metadata/name', '/spec/config', '/metadata/labels/a', '/x/y', '/spec/~', '/metadata/-'), from: fc.constantFrom('/spec', '/metadata', '', '/nope'), value: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['op'] }), { maxLength: 6 }).map((ops) => Buffer.from(JSON.stringify(ops))),
  fc.tuple(fc.constantFrom('a: &a [1]\nb: *a\n', 'metadata:\n  name: [\n', '- 1\n- 2', 'kind: NetworkAttachmentDefinition\nspec: !!binary aGVsbG8=\n', '? [a]\n: b\n', 'metadata: {name: n, name: m}\n'), fc.string({ maxLength: 40 })).map(([y, s]) => Buffer.from(y + s)),
  fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.concat([Buffer.from('k8s\0'), Buffer.from(a)])),
);

test('fuzzed writes: never a 5xx, always a Status when refused, store untouched when refused', (t) => {
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: TOKEN });
  const send = (method: string, path: string, contentType: string, payload: Buffer | undefined, query = '') =>
    handler({ method, path, query: new URLSearchParams(query), headers: { authorization: `Bearer ${TOKEN}`, 'content-type': contentType }, ...(payload ? { body: payload } : {}), signal: new AbortController().signal });
  for (const [path, object] of [[NAD_PATH, NAD], [VMI_PATH, VMI]] as const) {
    assert.equal(send('POST', path, 'application/json', Buffer.from(JSON.stringify(object))).status, 201);
  }
  fc.assert(
    fc.property(
      fc.constantFrom('POST', 'PUT', 'PATCH'),
      fc.constantFrom([NAD_PATH, 'n'] as const, [VMI_PATH, 'v'] as const),
      fc.constantFrom(...CONTENT_TYPES),
      body,
      fc.constantFrom('', 'dryRun=All', 'fieldValidation=Strict', 'fieldManager=fuzz'),
      (method, [path, name], contentType, payload, query) => {
        const before = store.currentResourceVersion();
        const target = method === 'POST' ? path : `${path}/${name}`;
        const stored = method === 'POST' ? undefined : JSON.stringify(send('GET', target, '', undefined).body);
        const response = send(method, target, contentType, payload, query);
        assert.ok(response.status < 500, `${method} ${contentType} answered ${response.status}: ${JSON.stringify(response.body)}`);
        if (response.status >= 400) {
          const status = response.body as { kind?: unknown; code?: unknown; message?: unknown };
          assert.equal(status.kind, 'Status');
          assert.equal(status.code, response.status);
          assert.equal(typeof status.message, 'string');
          assert.equal(store.currentResourceVersion(), before, 'a refused request wrote to the store');
          if (stored !== undefined) assert.equal(JSON.stringify(send('GET', target, '', undefined).body), stored);
        } else if (method === 'POST' && response.status === 201 && query !== 'dryRun=All') {
          // An accepted create: remove it so later runs see the same store.
          const created = response.body as { metadata: { name: string } };
          store.delete(method === 'POST' && path === NAD_PATH ? { group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions' } : { group: 'kubevirt.io', resource: 'virtualmachineinstances' }, 'default', created.metadata.name);
        }
      },
    ),
    { numRuns: 1500 },
  );
});
