// Instancetypes and preferences through the real kubectl: the shipped common-instancetypes bundle
// is applied, a VM names `u1.small` and the `linux` preference, and its VMI carries their CPU,
// memory and device models — in the stored spec and in the QEMU command line pxevirt builds from
// it (no guest boots: the daemon runs in-process on the fake runtime). A later edit of the
// instancetype does not reach the VM after a restart (its ControllerRevision pins it), and a VM
// that sets CPU or memory itself is refused with KubeVirt's message. A VM inferring its matchers
// from a PVC's labels (inferFromVolume) gets them named; one whose PVC has none is refused.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { planVmi } from '../../src/resources/device-plan.ts';
import { parseVmi } from '../../src/resources/vmi-spec.ts';
import { qemuArgs } from '../../src/runtime/qemu-args.ts';
import { kubectlMissing } from '../api/daemon-process.ts';
import { startInProcessDaemon } from '../helpers/in-process-daemon.ts';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BUNDLE = join(ROOT, 'manifests', 'common-instancetypes.yaml');

const vmManifest = (name: string, domainExtra: Record<string, unknown> = {}) =>
  JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      instancetype: { name: 'u1.small' },
      preference: { name: 'linux' },
      template: {
        spec: {
          domain: { devices: { disks: [{ name: 'root' }], interfaces: [{ name: 'default', masquerade: {} }] }, ...domainExtra },
          networks: [{ name: 'default', pod: {} }],
          volumes: [{ name: 'root', containerDisk: { image: 'quay.io/containerdisks/fedora:41' } }],
        },
      },
    },
  });

test('a VM from the common-instancetypes bundle gets u1.small and the linux preference, pinned against later edits', { skip: kubectlMissing(), timeout: 180_000 }, async (t) => {
  const d = await startInProcessDaemon(t, { nodeName: 'node-it', prefix: 'pxevirt-itypes-' });
  const { kubectl, kubectlOk: ok } = d;
  const json = async (args: string[]) => JSON.parse(await ok([...args, '-o', 'json'])) as Record<string, any>;

  const applied = await ok(['apply', '-f', BUNDLE]);
  assert.match(applied, /virtualmachineclusterinstancetype\.instancetype\.kubevirt\.io\/u1\.small created/);
  assert.match(applied, /virtualmachineclusterpreference\.instancetype\.kubevirt\.io\/linux created/);
  assert.match(await ok(['apply', '-f', BUNDLE]), /virtualmachineclusterinstancetype\.instancetype\.kubevirt\.io\/u1\.small unchanged/);
  assert.match(await ok(['get', 'virtualmachineclusterinstancetypes']), /^u1\.small\s+\S+$/m);
  assert.match(await ok(['get', 'vmcf', 'cx1.medium1gi']), /^NAME\s+AGE\ncx1\.medium1gi\s/);
  assert.match(await ok(['get', 'vmcps', 'linux']), /^linux\s/m);

  await ok(['apply', '-f', '-'], vmManifest('vm1'));
  await ok(['wait', '--for=jsonpath={.status.phase}=Running', 'vmi/vm1', '--timeout=60s']);
  const vmi = await json(['get', 'vmi', 'vm1']);
  const domain = vmi.spec.domain;
  assert.deepEqual([domain.cpu.sockets, domain.cpu.cores, domain.cpu.threads], [1, 1, 1]);
  assert.equal(domain.memory.guest, '2Gi');
  assert.equal(domain.devices.disks[0].disk.bus, 'virtio', 'the preference gives the disk bus');
  assert.equal(domain.devices.interfaces[0].model, 'virtio');
  assert.deepEqual(domain.devices.rng, {});
  assert.equal(vmi.metadata.annotations['kubevirt.io/cluster-instancetype-name'], 'u1.small');
  assert.equal(vmi.metadata.annotations['vm.kubevirt.io/os'], 'linux', "the preference's annotations reach the VMI");

  // The QEMU command line pxevirt builds from that VMI.
  const parsed = parseVmi(vmi);
  assert.deepEqual(parsed.causes, []);
  const plan = planVmi(parsed.value!);
  const argv = qemuArgs(plan, {
    runDir: '/run/vmi/x',
    accel: 'tcg',
    disks: [{ name: 'root', path: '/run/vmi/x/root.qcow2', format: 'qcow2' }],
    nics: plan.nics.map((n) => ({ name: n.name, mac: '02:00:00:00:00:01', model: n.model })),
  }).join(' ');
  assert.match(argv, /-smp 1,sockets=1,cores=1,threads=1/);
  assert.match(argv, /-m 2048\b/);
  assert.match(argv, /virtio-blk-pci/);
  assert.match(argv, /virtio-net-pci/);
  assert.match(argv, /virtio-rng-pci/);

  // The VM is pinned to a ControllerRevision; `kubectl get vm` keeps KubeVirt's columns.
  const vm = await json(['get', 'vm', 'vm1']);
  const revision = vm.spec.instancetype.revisionName as string;
  assert.match(revision, /^vm1-u1\.small-v1beta1-/);
  assert.equal(vm.status.instancetypeRef.controllerRevisionRef.name, revision);
  assert.match(await ok(['get', 'controllerrevisions']), new RegExp(`^${revision.replace(/\./g, '\\.')}\\s+virtualmachine\\.kubevirt\\.io/vm1\\s+0\\s`, 'm'));
  assert.match(await ok(['get', 'vm']), /^NAME\s+AGE\s+STATUS\s+READY\nvm1\s+\S+\s+Running\s+True/);

  // Editing the instancetype afterwards does not change the VM, even across a restart.
  await ok(['patch', 'vmcf', 'u1.small', '--type', 'merge', '-p', '{"spec":{"cpu":{"guest":2},"memory":{"guest":"4Gi"}}}']);
  await ok(['delete', 'vmi', 'vm1']);
  for (let i = 0; ; i++) {
    const r = await kubectl(['get', 'vmi', 'vm1', '-o', 'jsonpath={.metadata.uid} {.status.phase}']);
    if (r.code === 0 && r.stdout.endsWith(' Running') && !r.stdout.startsWith(vmi.metadata.uid)) break;
    assert.ok(i < 120, `the VM did not start a new VMI: ${r.stdout} ${r.stderr}`);
    await new Promise((done) => setTimeout(done, 250));
  }
  const again = await json(['get', 'vmi', 'vm1']);
  assert.deepEqual([again.spec.domain.cpu.sockets, again.spec.domain.memory.guest], [1, '2Gi']);

  // A VM setting CPU and memory itself is refused with KubeVirt's words; nothing is stored.
  const refused = await kubectl(['apply', '-f', '-'], vmManifest('vm-conflict', { cpu: { sockets: 2 }, memory: { guest: '1Gi' } }));
  assert.notEqual(refused.code, 0);
  // kubectl prints the causes of a 422 Invalid one per line, as it does for KubeVirt's webhook.
  assert.match(refused.stderr, /The VirtualMachine "vm-conflict" is invalid/);
  assert.match(refused.stderr, /^\* spec\.template\.spec\.domain\.cpu\.sockets: VM field\(s\) spec\.template\.spec\.domain\.cpu\.sockets conflicts with selected instance type$/m);
  assert.match(refused.stderr, /^\* spec\.template\.spec\.domain\.memory\.guest: VM field\(s\) spec\.template\.spec\.domain\.memory\.guest conflicts with selected instance type$/m);
  assert.match((await kubectl(['get', 'vm', 'vm-conflict'])).stderr, /NotFound|not found/);

  // inferFromVolume: the PVC's default-instancetype/-preference labels become the matchers.
  const pvc = (name: string, labels: Record<string, string>) =>
    JSON.stringify({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } });
  await ok(['apply', '-f', '-'], pvc('golden', { 'instancetype.kubevirt.io/default-instancetype': 'u1.medium', 'instancetype.kubevirt.io/default-preference': 'fedora' }));
  await ok(['apply', '-f', '-'], pvc('plain', {}));
  const inferring = (name: string, claim: string) => {
    const m = JSON.parse(vmManifest(name));
    m.spec.instancetype = { inferFromVolume: 'root' };
    m.spec.preference = { inferFromVolume: 'root' };
    m.spec.runStrategy = 'Halted';
    m.spec.template.spec.volumes = [{ name: 'root', persistentVolumeClaim: { claimName: claim } }];
    return JSON.stringify(m);
  };
  await ok(['apply', '-f', '-'], inferring('vm-inferred', 'golden'));
  const inferred = await json(['get', 'vm', 'vm-inferred']);
  assert.deepEqual([inferred.spec.instancetype.name, inferred.spec.preference.name], ['u1.medium', 'fedora']);
  assert.equal(inferred.spec.instancetype.inferFromVolume, undefined, 'the matcher is replaced, as KubeVirt does');
  const unlabelled = await kubectl(['apply', '-f', '-'], inferring('vm-unlabelled', 'plain'));
  assert.notEqual(unlabelled.code, 0);
  assert.match(unlabelled.stderr, /The VirtualMachine "vm-unlabelled" is invalid: spec\.instancetype\.inferFromVolume: unable to find required instancetype\.kubevirt\.io\/default-instancetype label on the volume/);
  assert.match((await kubectl(['get', 'vm', 'vm-unlabelled'])).stderr, /NotFound|not found/);
});
