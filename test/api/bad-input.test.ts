// Bad inputs through the API: each gets a 4xx Status whose message names the field and the
// problem (KubeVirt's wording for kubevirt.io kinds), and the store is left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemonProcess, type DaemonProcess, type HttpResult } from './daemon-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VMIS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
const VMS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachines';
const NADS = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';

function vmi(name = 'bad'): Obj {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      domain: {
        devices: {
          disks: [{ name: 'containerdisk', disk: { bus: 'virtio' }, bootOrder: 2 }],
          interfaces: [
            { name: 'default', masquerade: {} },
            { name: 'pxe', bridge: {}, macAddress: 'de:00:00:00:00:de', bootOrder: 1 },
          ],
        },
        resources: { requests: { memory: '128Mi' } },
      },
      networks: [
        { name: 'default', pod: {} },
        { name: 'pxe', multus: { networkName: 'pxe-net-conf' } },
      ],
      volumes: [{ name: 'containerdisk', containerDisk: { image: 'quay.io/kubevirt/cirros-container-disk-demo' } }],
    },
  };
}

const vm = (spec: Obj): Obj => ({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'bad-vm' }, spec: { template: { spec: vmi().spec }, ...spec } });
const nad = (name: string, config: string): Obj => ({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name }, spec: { config } });

const mutate = (f: (o: Obj) => void, base: Obj = vmi()): string => {
  f(base);
  return JSON.stringify(base);
};

interface BadCase {
  name: string;
  method?: string;
  path?: string;
  body?: string | Buffer;
  contentType?: string;
  token?: string;
  status: number;
  message: RegExp;
}

const dev = (o: Obj) => o.spec.domain.devices;

const CASES: BadCase[] = [
  { name: 'boot order 0', body: mutate((o) => (dev(o).disks[0].bootOrder = 0)), status: 422, message: /spec\.domain\.devices\.disks\[0\] must have a boot order > 0, if supplied/ },
  { name: 'boot order used twice', body: mutate((o) => (dev(o).disks[0].bootOrder = 1)), status: 422, message: /Boot order for .*bootOrder already set for a different device/ },
  { name: 'malformed MAC', body: mutate((o) => (dev(o).interfaces[1].macAddress = 'de:00:00:00:de')), status: 422, message: /spec\.domain\.devices\.interfaces\[1\]\.name has malformed MAC address \(de:00:00:00:de\)/ },
  { name: 'interface without a network', body: mutate((o) => o.spec.networks.pop()), status: 422, message: /spec\.domain\.devices\.interfaces\[1\]\.name 'pxe' not found/ },
  { name: 'network without an interface', body: mutate((o) => dev(o).interfaces.pop()), status: 422, message: /spec\.networks\[1\]\.name 'pxe' not found/ },
  { name: 'two bindings on one interface', body: mutate((o) => (dev(o).interfaces[1].masquerade = {})), status: 422, message: /spec\.domain\.devices\.interfaces\[1\].*: logical pxe interface must have exactly one binding method or binding plugin/ },
  { name: 'masquerade on a multus network', body: mutate((o) => (dev(o).interfaces[1] = { name: 'pxe', masquerade: {} })), status: 422, message: /Masquerade interface only implemented with pod network/ },
  { name: 'two pod networks', body: mutate((o) => { o.spec.networks[1] = { name: 'pxe', pod: {} }; }), status: 422, message: /more than one interface is connected to a pod network in spec\.interfaces/ },
  { name: 'multus without networkName', body: mutate((o) => (o.spec.networks[1].multus = {})), status: 422, message: /spec\.networks\[1\]\.multus\.networkName/ },
  { name: 'unknown NIC model', body: mutate((o) => (dev(o).interfaces[1].model = 'tulip')), status: 422, message: /spec\.domain\.devices\.interfaces\[1\]\.name uses model tulip that is not supported/ },
  { name: 'IDE disk bus', body: mutate((o) => (dev(o).disks[0].disk.bus = 'ide')), status: 422, message: /spec\.domain\.devices\.disks\[0\]\.disk\.bus: IDE bus is not supported/ },
  { name: 'disk without a volume', body: mutate((o) => (dev(o).disks[0].name = 'other')), status: 422, message: /spec\.domain\.devices\.disks\[0\]\.Name 'other' not found/ },
  { name: 'duplicate disk names', body: mutate((o) => dev(o).disks.push({ name: 'containerdisk', disk: {} })), status: 422, message: /spec\.domain\.devices\.disks\[1\] and spec\.domain\.devices\.disks\[0\] must not have the same Name/ },
  { name: 'no memory requested', body: mutate((o) => delete o.spec.domain.resources), status: 422, message: /no memory requested/ },
  { name: 'memory under 1M', body: mutate((o) => (o.spec.domain.resources.requests.memory = '100k')), status: 422, message: /spec\.domain\.resources\.requests\.memory.*1M/ },
  { name: 'machine type pc', body: mutate((o) => (o.spec.domain.machine = { type: 'pc' })), status: 422, message: /spec\.domain\.machine\.type/ },
  { name: 'cloud-init userData over 2048 bytes', body: mutate((o) => { o.spec.volumes.push({ name: 'ci', cloudInitNoCloud: { userData: 'x'.repeat(3000) } }); dev(o).disks.push({ name: 'ci', disk: {} }); }), status: 422, message: /spec\.volumes\[1\]\.cloudInitNoCloud.*2048/ },
  { name: 'VM with running and runStrategy', path: VMS, body: JSON.stringify(vm({ running: true, runStrategy: 'Always' })), status: 422, message: /spec\.running.*: Running and RunStrategy are mutually exclusive/ },
  { name: 'VM without a template', path: VMS, body: JSON.stringify({ ...vm({}), spec: { runStrategy: 'Halted' } }), status: 422, message: /spec\.template: missing virtual machine template/ },
  { name: 'NAD name not DNS-1123', path: NADS, body: JSON.stringify(nad('Bad_Name', '{"cniVersion":"0.3.1","type":"bridge"}')), status: 422, message: /metadata\.name.*Bad_Name/ },
  { name: 'NAD config not JSON', path: NADS, body: JSON.stringify(nad('n1', '{not json')), status: 422, message: /spec\.config/ },
  { name: 'NAD config with a plugin type that is a path', path: NADS, body: JSON.stringify(nad('n2', '{"cniVersion":"0.3.1","type":"../warp-drive"}')), status: 422, message: /spec\.config.*plugin name.*warp-drive/ },
  { name: 'malformed JSON', body: '{"apiVersion": "kubevirt.io/v1", "kind": ', status: 400, message: /error decoding JSON body: .*JSON/ },
  { name: 'malformed YAML', body: 'apiVersion: kubevirt.io/v1\nkind: [VirtualMachineInstance\n', contentType: 'application/yaml', status: 400, message: /error decoding YAML body/ },
  { name: 'YAML alias bomb', contentType: 'application/yaml', body: aliasBomb(), status: 400, message: /alias/i },
  { name: 'body over 3 MiB', body: JSON.stringify({ ...vmi(), pad: 'x'.repeat(3 * 1024 * 1024) }), status: 413, message: /Request entity too large: limit is 3145728/ },
  { name: 'unknown kind', path: '/apis/kubevirt.io/v1/namespaces/default/virtualmachinepools', body: JSON.stringify(vmi()), status: 404, message: /the server could not find the requested resource/ },
  { name: 'unknown version', path: '/apis/kubevirt.io/v9/namespaces/default/virtualmachineinstances', body: JSON.stringify(vmi()), status: 404, message: /the server could not find the requested resource/ },
  { name: 'apiVersion in the body differs from the URL', body: mutate((o) => (o.apiVersion = 'kubevirt.io/v1alpha3')), status: 400, message: /the API version in the data \(kubevirt.io\/v1alpha3\) does not match the expected API version \(kubevirt.io\/v1\)/ },
  { name: 'kind in the body differs from the URL', body: mutate((o) => (o.kind = 'VirtualMachine')), status: 400, message: /the kind in the data \(VirtualMachine\)/ },
  { name: 'unknown field under fieldValidation=Strict', path: `${VMIS}?fieldValidation=Strict`, body: mutate((o) => (o.spec.foo = 1)), status: 400, message: /strict decoding error: unknown field "spec\.foo"/ },
  { name: 'namespace in the body differs from the URL', body: mutate((o) => (o.metadata.namespace = 'other')), status: 400, message: /namespace of the provided object \(other\) does not match/ },
  { name: 'missing token', body: JSON.stringify(vmi()), token: '', status: 401, message: /^Unauthorized$/ },
  { name: 'wrong token', body: JSON.stringify(vmi()), token: 'not-the-token', status: 401, message: /^Unauthorized$/ },
];

function aliasBomb(): string {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i);
    const name = String.fromCharCode(97 + i);
    lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  return `${lines.join('\n')}\n`;
}

async function snapshot(d: DaemonProcess): Promise<string> {
  const parts: string[] = [];
  for (const path of [VMIS, VMS, NADS]) {
    const r = await d.http('GET', path);
    const list = r.json() as { items: Array<{ metadata: { name: string; resourceVersion: string } }> };
    parts.push(list.items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).join(','));
  }
  return parts.join(' | ');
}

function assertStatus(r: HttpResult, c: { status: number; message: RegExp }): void {
  assert.equal(r.status, c.status, `HTTP ${r.status}: ${r.body.slice(0, 400)}`);
  const status = r.json();
  assert.equal(status.kind, 'Status');
  assert.equal(status.apiVersion, 'v1');
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, c.status);
  assert.match(String(status.message), c.message);
}

test('bad inputs are refused with a Status naming the problem, and nothing changes', async (t) => {
  const d = await startDaemonProcess(t);
  const seeded = await d.http('POST', VMIS, { body: JSON.stringify(vmi('existing')), contentType: 'application/json' });
  assert.equal(seeded.status, 201, seeded.body);
  for (const c of CASES) {
    await t.test(c.name, async () => {
      const before = await snapshot(d);
      const r = await d.http(c.method ?? 'POST', c.path ?? VMIS, {
        body: c.body ?? '',
        contentType: c.contentType ?? 'application/json',
        ...(c.token !== undefined ? { token: c.token } : {}),
      });
      assertStatus(r, c);
      assert.equal(await snapshot(d), before, 'the store is unchanged');
    });
  }

  await t.test('a VMI spec change after creation', async () => {
    const before = await snapshot(d);
    const r = await d.http('PATCH', `${VMIS}/existing`, { body: '{"spec":{"domain":{"resources":{"requests":{"memory":"256Mi"}}}}}', contentType: 'application/merge-patch+json' });
    assertStatus(r, { status: 422, message: /admission webhook "virtualmachineinstances-update-validator.kubevirt.io" denied the request: update of VMI object is restricted/ });
    assert.equal(await snapshot(d), before);
  });

  await t.test('a stale resourceVersion', async () => {
    const current = (await d.http('GET', `${VMIS}/existing`)).json() as Obj;
    const stale = structuredClone(current);
    await d.http('PATCH', `${VMIS}/existing`, { body: '{"metadata":{"labels":{"bump":"1"}}}', contentType: 'application/merge-patch+json' });
    const before = await snapshot(d);
    stale.metadata.labels = { stale: 'yes' };
    const r = await d.http('PUT', `${VMIS}/existing`, { body: JSON.stringify(stale), contentType: 'application/json' });
    assertStatus(r, { status: 409, message: /Operation cannot be fulfilled on virtualmachineinstances.kubevirt.io "existing": the object has been modified/ });
    assert.equal(await snapshot(d), before);
  });

  await t.test('an object in a missing namespace', async () => {
    const r = await d.http('POST', '/apis/kubevirt.io/v1/namespaces/nowhere/virtualmachineinstances', { body: JSON.stringify(vmi('x')), contentType: 'application/json' });
    assertStatus(r, { status: 404, message: /^namespaces "nowhere" not found$/ });
  });

  await t.test('a missing token on discovery', async () => {
    assertStatus(await d.http('GET', '/apis', { token: '' }), { status: 401, message: /^Unauthorized$/ });
  });
});
