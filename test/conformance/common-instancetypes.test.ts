// The shipped common-instancetypes bundle is what its generator makes from its description, the
// same objects as upstream's published build (digests in common-instancetypes-published.json),
// every object passes pxevirt's admission and is valid KubeVirt (its OpenAPI document), and a VM
// pinned to a revision is valid KubeVirt too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { BUNDLE_PATH, bundleObjects, bundleYaml } from '../../scripts/gen-common-instancetypes.ts';
import { digests } from '../../scripts/common-instancetypes/digest.ts';
import { SOURCE } from '../../scripts/common-instancetypes/source.ts';
import { kindByGvk, parseApiVersion } from '../../src/resources/kinds.ts';
import { vmKind } from '../../src/resources/vm-kind.ts';
import { vmiKind } from '../../src/resources/vmi-kind.ts';
import { defaultVmiSpec } from '../../src/resources/vmi-defaults.ts';
import { expandInstancetype } from '../../src/resources/instancetype-apply.ts';
import { requirementCauses } from '../../src/resources/preference-requirements.ts';
import { KUBEVIRT_OPENAPI_PATH, validateAgainstKubevirt, type KubevirtKind } from '../helpers/kubevirt-schema.ts';
import { validVm } from '../helpers/kubevirt-fixtures.ts';

const PUBLISHED = JSON.parse(readFileSync(new URL('./common-instancetypes-published.json', import.meta.url), 'utf8')) as { source: string; digests: Record<string, string> };
const skip = existsSync(KUBEVIRT_OPENAPI_PATH) ? false : `KubeVirt's OpenAPI document is not at ${KUBEVIRT_OPENAPI_PATH}`;
const create = { operation: 'CREATE' } as const;
const o = (it: string, pref: string): string => `${it}+${pref}`;

test('manifests/common-instancetypes.yaml is the generator\'s output (regenerate with scripts/gen-common-instancetypes.ts)', () => {
  assert.equal(readFileSync(BUNDLE_PATH, 'utf8'), bundleYaml());
});

test('the bundle is the published one: the same objects, each equal to upstream\'s build (digests read at the recorded commit)', () => {
  const ours = digests(bundleObjects());
  const kinds = (d: Record<string, string>) => Object.keys(d).reduce<Record<string, number>>((n, k) => ({ ...n, [k.split('/')[0]!]: (n[k.split('/')[0]!] ?? 0) + 1 }), {});
  assert.deepEqual(kinds(ours), { VirtualMachineClusterInstancetype: 65, VirtualMachineClusterPreference: 57 });
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(PUBLISHED.digests).sort(), 'the same names as the published bundle');
  const differ = Object.keys(ours).filter((k) => ours[k] !== PUBLISHED.digests[k]);
  assert.deepEqual(differ, [], 'objects that differ from the published ones');
  assert.match(PUBLISHED.source, new RegExp(SOURCE.commit), 'the digests were read at the commit the description names');
});

test('every object of the bundle passes pxevirt\'s admission and is valid KubeVirt', { skip }, () => {
  const objects = bundleObjects();
  const names = objects.map((o) => (o.metadata as { name: string }).name);
  for (const name of ['u1.nano', 'u1.2xmedium', 'd1.2xmedium', 'n1.8xlarge', 'rt1.micro', 'cx1.medium1gi', 'm1.large1gi', 'fedora', 'rhel.9.realtime', 'centos.stream10.desktop', 'windows.11.virtio', 'opensuse.leap', 'legacy']) {
    assert.ok(names.includes(name), `${name} is missing`);
  }
  for (const object of objects) {
    const { group, version } = parseApiVersion(String(object.apiVersion));
    const kind = kindByGvk(group, version, String(object.kind));
    assert.ok(kind, `${String(object.kind)} is served`);
    assert.deepEqual(kind.validate(kind.default(object, create), create), [], (object.metadata as { name: string }).name);
    assert.deepEqual(validateAgainstKubevirt(object.kind as KubevirtKind, object), [], (object.metadata as { name: string }).name);
  }
});

test('a VM using any instancetype or preference of the bundle expands into a valid VMI, and what pxevirt does not enforce is named', () => {
  const objects = bundleObjects() as Array<Record<string, any>>;
  const spec = (name: string) => objects.find((o) => o.metadata.name === name)!.spec;
  const template = () => ({
    domain: { devices: { disks: [{ name: 'root' }], interfaces: [{ name: 'default', masquerade: {} }] } },
    networks: [{ name: 'default', pod: {} }],
    volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }],
  });
  const notEnforced = new Map<string, string[]>();
  // Each instancetype with the linux preference; each preference with u1.2xlarge (8 vCPUs, 32Gi:
  // every preference's requirements and spread ratio are met by it).
  const pairs = objects.map((o) => (o.kind === 'VirtualMachineClusterInstancetype' ? [o.metadata.name, 'linux'] : ['u1.2xlarge', o.metadata.name]) as [string, string]);
  for (const [it, pref] of pairs) {
    const out = expandInstancetype('spec.template.spec', template(), {}, spec(it), spec(pref));
    assert.deepEqual(out.conflicts, [], `${it} + ${pref}`);
    const checked = structuredClone(out.spec);
    defaultVmiSpec(checked, '');
    assert.deepEqual(requirementCauses(spec(it), spec(pref), checked), [], `${it} + ${pref}: requirements`);
    const vmi = vmiKind.default({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'vm', namespace: 'default' }, spec: out.spec }, create);
    // An architecture pxevirt cannot run (the s390x preferences) is refused at the VMI, by field.
    const foreign = spec(pref).preferredArchitecture !== undefined && !['amd64', 'arm64'].includes(spec(pref).preferredArchitecture);
    const expected = foreign ? [{ type: 'FieldValueNotSupported', field: 'spec.architecture', message: `spec.architecture: expected one of amd64, arm64, found "${spec(pref).preferredArchitecture}"` }] : [];
    assert.deepEqual(vmiKind.validate(vmi, create), expected, `${it} + ${pref}: the VMI`);
    notEnforced.set(o(it, pref), out.notEnforced.map((f) => f.split(' ')[0]!));
  }
  for (const series of ['cx1.medium', 'd1.small', 'n1.medium', 'rt1.micro']) assert.ok(notEnforced.get(o(series, 'linux'))!.includes('spec.cpu.dedicatedCPUPlacement'), series);
  for (const series of ['cx1.medium1gi', 'm1.large', 'n1.medium', 'rt1.micro']) assert.ok(notEnforced.get(o(series, 'linux'))!.includes('spec.memory.hugepages'), series);
  assert.deepEqual(notEnforced.get(o('u1.small', 'linux')), []);
  assert.ok(notEnforced.get(o('u1.2xlarge', 'windows.11'))!.includes('spec.devices.preferredTPM'));
  assert.ok(notEnforced.get(o('u1.2xlarge', 'rhel.9.dpdk'))!.includes('spec.devices.preferredNetworkInterfaceMultiQueue'));
});

test('a VM with matchers pinned to revisions, and the status refs, is valid KubeVirt', { skip }, () => {
  const vm = validVm() as Record<string, any>;
  vm.spec.instancetype = { name: 'u1.small', revisionName: 'vm-u1.small-v1beta1-uid-1' };
  vm.spec.preference = { name: 'linux', kind: 'VirtualMachineClusterPreference' };
  delete vm.spec.template.spec.domain.memory;
  delete vm.spec.template.spec.domain.resources;
  const stored = vmKind.default(vm, create) as Record<string, any>;
  assert.deepEqual(vmKind.validate(stored, create), []);
  stored.status = { printableStatus: 'Stopped', instancetypeRef: { name: 'u1.small', kind: 'VirtualMachineClusterInstancetype', controllerRevisionRef: { name: 'vm-u1.small-v1beta1-uid-1' } } };
  assert.deepEqual(validateAgainstKubevirt('VirtualMachine', stored), []);
});
