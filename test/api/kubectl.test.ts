// The real kubectl (1.32) against `pxevirt up`: discovery, the seed manifests, and the
// create/get/describe/apply/label/patch/wait/watch/delete cycle for each kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchUntil as watchCommand } from '../helpers/watch-until.ts';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEED_DIR } from '../helpers/kubevirt-fixtures.ts';
import { kubectlMissing, startDaemonProcess, type DaemonProcess } from './daemon-process.ts';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '../fixtures');
const SEED = SEED_DIR;
const skip = kubectlMissing();

interface Case {
  file: string;
  resource: string;
  name: string;
  columns: RegExp;
  /** Kinds KubeVirt defaults say "configured" on a second apply (the server leaves them unchanged). */
  secondApply: RegExp;
  kind: string;
  apiVersion: string;
  status?: string;
}

const CASES: Case[] = [
  { file: 'vmi.yaml', resource: 'vmi', name: 'vmi-small', kind: 'VirtualMachineInstance', apiVersion: 'kubevirt.io/v1', columns: /NAME\s+AGE\s+PHASE\s+IP\s+NODENAME\s+READY/, secondApply: /(unchanged|configured)/, status: '{"status":{"phase":"Running"}}' },
  { file: 'vm.yaml', resource: 'vm', name: 'vm-one', kind: 'VirtualMachine', apiVersion: 'kubevirt.io/v1', columns: /NAME\s+AGE\s+STATUS\s+READY/, secondApply: /(unchanged|configured)/, status: '{"status":{"printableStatus":"Stopped"}}' },
  { file: 'nad.yaml', resource: 'net-attach-def', name: 'br1-net', kind: 'NetworkAttachmentDefinition', apiVersion: 'k8s.cni.cncf.io/v1', columns: /NAME\s+AGE/, secondApply: /unchanged/ },
  { file: 'nncp.yaml', resource: 'nncp', name: 'br1-policy', kind: 'NodeNetworkConfigurationPolicy', apiVersion: 'nmstate.io/v1', columns: /NAME/, secondApply: /unchanged/, status: '{"status":{"conditions":[{"type":"Available","status":"True"}]}}' },
];

async function ok(d: DaemonProcess, args: string[], input?: string): Promise<string> {
  const r = await d.kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Runs `kubectl get … -w` (see test/helpers/watch-until.ts); gives up after 20 s. */
function watchUntil(d: DaemonProcess, args: string[], change: () => Promise<unknown>, until: (out: string) => boolean): Promise<string> {
  return watchCommand({ command: 'kubectl', args: ['--kubeconfig', d.kubeconfig, ...args, '-w'], label: 'kubectl get -w', timeoutMs: 20_000 }, change, until);
}

test('kubectl drives pxevirt', { skip }, async (t) => {
  const d = await startDaemonProcess(t);

  await t.test('api-resources lists every kind with its short names', async () => {
    const out = await ok(d, ['api-resources']);
    for (const [resource, short] of [
      ['virtualmachineinstances', 'vmi,vmis'],
      ['virtualmachines', 'vm,vms'],
      ['network-attachment-definitions', 'net-attach-def'],
      ['nodenetworkconfigurationpolicies', 'nncp'],
      ['namespaces', 'ns'],
      ['events', 'ev'],
    ]) {
      assert.match(out, new RegExp(`^${resource}\\s+${short}\\s`, 'm'), `api-resources output:\n${out}`);
    }
  });

  await t.test('creates the seed manifests unmodified, warning about v1alpha3', async () => {
    const nad = await d.kubectl(['create', '-f', join(SEED, 'pxe-net-conf.yaml')]);
    assert.equal(nad.code, 0, nad.stderr);
    assert.match(nad.stdout, /networkattachmentdefinition.k8s.cni.cncf.io\/pxe-net-conf created/);
    const vmi = await d.kubectl(['create', '-f', join(SEED, 'vmi-pxe-boot.yaml')]);
    assert.equal(vmi.code, 0, vmi.stderr);
    assert.match(vmi.stdout, /virtualmachineinstance.kubevirt.io\/vmi-pxe-boot created/);
    assert.match(vmi.stderr, /Warning: kubevirt.io\/v1alpha3 is now deprecated and will be removed in a future release\./);
    const yaml = await ok(d, ['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml']);
    assert.match(yaml, /macAddress: de:00:00:00:00:de/);
    assert.match(yaml, /phase: Pending/);
  });

  await t.test('server-side dry run validates without storing', async () => {
    const r = await d.kubectl(['create', '--dry-run=server', '-f', join(FIXTURES, 'nad.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created \(server dry run\)/);
    const get = await d.kubectl(['get', 'net-attach-def', 'br1-net']);
    assert.match(get.stderr, /NotFound|not found/);
  });

  for (const c of CASES) {
    await t.test(`${c.kind}: apply, get, describe, label, patch, wait, watch, delete`, async () => {
      const file = join(FIXTURES, c.file);
      assert.match(await ok(d, ['apply', '-f', file]), /created/);
      const rv1 = await ok(d, ['get', c.resource, c.name, '-o', 'jsonpath={.metadata.resourceVersion}']);
      assert.match(await ok(d, ['apply', '-f', file]), c.secondApply);
      const rv2 = await ok(d, ['get', c.resource, c.name, '-o', 'jsonpath={.metadata.resourceVersion}']);
      assert.equal(rv2, rv1, 'the second apply changed nothing');

      const table = await ok(d, ['get', c.resource]);
      assert.match(table, c.columns);
      assert.match(table, new RegExp(`^${c.name}\\s`, 'm'));
      const yaml = await ok(d, ['get', c.resource, c.name, '-o', 'yaml']);
      assert.match(yaml, new RegExp(`apiVersion: ${c.apiVersion}\\nkind: ${c.kind}`));

      assert.match(await ok(d, ['label', c.resource, c.name, 'tier=gold']), /labeled/);
      assert.match(await ok(d, ['get', c.resource, '-l', 'tier=gold', '-o', 'name']), new RegExp(c.name));
      assert.match(await ok(d, ['patch', c.resource, c.name, '--type', 'merge', '-p', '{"metadata":{"annotations":{"note":"merged"}}}']), /patched/);
      await ok(d, ['patch', c.resource, c.name, '--type', 'json', '-p', '[{"op":"add","path":"/metadata/labels/json","value":"yes"}]']);
      const labels = await ok(d, ['get', c.resource, c.name, '-o', 'jsonpath={.metadata.labels.json}/{.metadata.annotations.note}']);
      assert.equal(labels, 'yes/merged');
      assert.match(await ok(d, ['wait', c.resource, c.name, '--for=jsonpath={.metadata.labels.tier}=gold', '--timeout=10s']), /condition met/);

      if (c.status) {
        await ok(d, ['patch', c.resource, c.name, '--subresource=status', '--type', 'merge', '-p', c.status]);
        const field = Object.keys((JSON.parse(c.status) as { status: Record<string, unknown> }).status)[0]!;
        const shown = await ok(d, ['get', c.resource, c.name, '-o', `jsonpath={.status.${field}}`]);
        assert.ok(shown.length > 0, `status.${field} was set`);
      }

      const uid = await ok(d, ['get', c.resource, c.name, '-o', 'jsonpath={.metadata.uid}']);
      const ns = 'default';
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${c.name}.test`, namespace: ns },
        involvedObject: { apiVersion: c.apiVersion, kind: c.kind, name: c.name, uid, ...(c.kind === 'NodeNetworkConfigurationPolicy' ? {} : { namespace: ns }) },
        reason: 'TestReason',
        message: 'an event for describe',
        type: 'Normal',
        source: { component: 'pxevirt-test' },
        firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        count: 1,
      };
      await ok(d, ['create', '-f', '-'], JSON.stringify(event));
      const described = await ok(d, ['describe', c.resource, c.name]);
      assert.match(described, new RegExp(`Name:\\s+${c.name}`));
      assert.match(described, /Normal\s+TestReason\s+\S+\s+pxevirt-test\s+an event for describe/);

      const watched = await watchUntil(
        d,
        ['get', c.resource, c.name, '--show-labels'],
        () => ok(d, ['label', c.resource, c.name, 'watched=seen']),
        (out) => /watched=seen/.test(out),
      );
      assert.match(watched, /watched=seen/);

      assert.match(await ok(d, ['delete', c.resource, c.name]), /deleted/);
      const gone = await d.kubectl(['get', c.resource, c.name]);
      assert.notEqual(gone.code, 0);
      assert.match(gone.stderr, /NotFound|not found/);
    });
  }

  await t.test('namespaces: default exists and objects in a missing namespace are refused', async () => {
    assert.match(await ok(d, ['get', 'ns']), /^default\s+Active/m);
    const r = await d.kubectl(['create', '-n', 'nowhere', '-f', join(FIXTURES, 'nad.yaml')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces "nowhere" not found/);
    assert.match(readFileSync(d.kubeconfig, 'utf8'), /certificate-authority-data/);
    // `kubectl create namespace` posts protobuf.
    assert.match(await ok(d, ['create', 'namespace', 'other', '--dry-run=none']), /namespace\/other created/);
    assert.match(await ok(d, ['apply', '-n', 'other', '-f', join(FIXTURES, 'nad.yaml')]), /created/);
    assert.match(await ok(d, ['get', 'net-attach-def', '-A']), /^other\s+br1-net\s/m);
    assert.match(await ok(d, ['delete', 'ns', 'other']), /deleted/);
    const refused = await d.kubectl(['delete', 'ns', 'default']);
    assert.match(refused.stderr, /namespaces "default" is forbidden: this namespace may not be deleted/);
  });
});
