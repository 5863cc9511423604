// The shipped common-instancetypes bundle is what its generator makes from the table, every object
// in it passes pxevirt's admission and is valid KubeVirt (its OpenAPI document), and a VM pinned to
// a revision is valid KubeVirt too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { BUNDLE_PATH, bundleObjects, bundleYaml } from '../../scripts/gen-common-instancetypes.ts';
import { kindByGvk, parseApiVersion } from '../../src/resources/kinds.ts';
import { vmKind } from '../../src/resources/vm-kind.ts';
import { KUBEVIRT_OPENAPI_PATH, validateAgainstKubevirt, type KubevirtKind } from '../helpers/kubevirt-schema.ts';
import { validVm } from '../helpers/kubevirt-fixtures.ts';

const skip = existsSync(KUBEVIRT_OPENAPI_PATH) ? false : `KubeVirt's OpenAPI document is not at ${KUBEVIRT_OPENAPI_PATH}`;
const create = { operation: 'CREATE' } as const;

test('manifests/common-instancetypes.yaml is the generator\'s output (regenerate with scripts/gen-common-instancetypes.ts)', () => {
  assert.equal(readFileSync(BUNDLE_PATH, 'utf8'), bundleYaml());
});

test('the bundle holds u1, o1, cx1 and m1 in every size and the linux preferences, each admitted and valid KubeVirt', { skip }, () => {
  const objects = bundleObjects();
  const names = objects.map((o) => (o.metadata as { name: string }).name);
  for (const name of ['u1.nano', 'u1.small', 'u1.2xmedium', 'u1.8xlarge', 'o1.small', 'cx1.medium', 'cx1.medium1gi', 'm1.large1gi', 'linux', 'linux.efi', 'ubuntu', 'legacy']) assert.ok(names.includes(name), `${name} is missing`);
  assert.equal(names.length, 48);
  for (const object of objects) {
    const { group, version } = parseApiVersion(String(object.apiVersion));
    const kind = kindByGvk(group, version, String(object.kind));
    assert.ok(kind, `${String(object.kind)} is served`);
    assert.deepEqual(kind.validate(kind.default(object, create), create), [], (object.metadata as { name: string }).name);
    assert.deepEqual(validateAgainstKubevirt(object.kind as KubevirtKind, object), [], (object.metadata as { name: string }).name);
  }
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
