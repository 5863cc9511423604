// A one-time boot override on a real guest, driven by sushy: `Pxe` + `Once`, power on → the
// first boot tries the NIC (its iPXE ROM, which pxevirt gives it only for this boot) before the
// disk; the guest then reboots itself → that reset boots the disk alone (the override is used
// up, QEMU got the spec's boot order back), and the VM's bootOrder never changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { createNodeNamespace } from '../helpers/netns.ts';
import { startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const SUSHY_DRIVE = new URL('./clients/sushy_drive.py', import.meta.url).pathname;
const skip = await vmiNodeUnavailable();

const count = (text: string, needle: string): number => text.split(needle).length - 1;

test('Pxe + Once: the first boot tries the NIC, the guest-made reset boots the disk; the spec is untouched', { skip, timeout: 900_000 }, async (t) => {
  // The pod network lives in a throwaway node namespace, like every networked test's.
  const nodeNs = await createNodeNamespace(t);
  const node = await startVmiNode(t, { name: 'redfish-once', extraArgs: ['--node-netns', nodeNs.name] });
  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'bm0' },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            resources: { requests: { memory: '256Mi' } },
            devices: { disks: [{ name: 'root', bootOrder: 1, disk: { bus: 'virtio' } }], interfaces: [{ name: 'default', masquerade: {} }] },
          },
          networks: [{ name: 'default', pod: {} }],
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: 'root', containerDisk: { image: node.image } }],
        },
      },
    },
  };
  await node.kubectl(['create', '-f', '-'], JSON.stringify(vm));
  const config = parse(readFileSync(node.daemon.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
  const caFile = join(node.dataDir, 'redfish-test-ca.pem');
  writeFileSync(caFile, Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
  const env = { ...process.env, REQUESTS_CA_BUNDLE: caFile };
  const sushy = async (...steps: string[]) =>
    JSON.parse((await run('/usr/bin/python3', [SUSHY_DRIVE, `https://127.0.0.1:${node.daemon.port}`, 'admin', node.daemon.token, caFile, ...steps], { env, timeout: 480_000 })).stdout) as Array<Record<string, any>>;

  const first = await sushy('boot:Pxe:Once', 'state', 'reset:On', 'wait:on:400', 'state');
  assert.deepEqual([first[2]?.target, first[2]?.enabled], ['Pxe', 'Once']);
  const diagnosis = async () => `${await node.kubectl(['get', 'vmi', '-o', 'yaml'])}\n${await node.kubectl(['get', 'events'])}`;
  if (first[5]?.power !== 'On') assert.fail(`the system did not power on: ${JSON.stringify(first)}\n${await diagnosis()}`);
  assert.equal(first[5]?.enabled, 'Disabled', 'powered on, the one-time override is used up');
  const uid = (await node.jsonpath('vmi', 'bm0', '{.metadata.uid}')).trim();
  const args = JSON.parse(readFileSync(join(node.dataDir, 'run', 'vmi', uid, 'qemu.args'), 'utf8')) as string[];
  assert.ok(args.some((a) => /^virtio-net-pci,id=net0,.*bootindex=1/.test(a)), `the NIC boots first this time: ${args.join(' ')}`);
  assert.ok(args.some((a) => /^virtio-blk-pci,id=disk0,.*bootindex=2/.test(a)), 'the disk after it');

  // SeaBIOS says what it boots: the NIC's iPXE ROM first (the pod network offers no boot file), then the disk.
  const firstBoot = (text: string) => /Booting from [^.\r\n]*/.exec(text)?.[0];
  await until('the disk booted after the network try', async () => count(await node.serial(uid), node.disk.marker) >= 1, 400_000);
  const boot1 = await node.serial(uid);
  const beforeMarker = boot1.slice(0, boot1.indexOf(node.disk.marker));
  assert.ok(firstBoot(beforeMarker) !== undefined && firstBoot(beforeMarker) !== 'Booting from Hard Disk', `the first boot tried the NIC first: ${firstBoot(beforeMarker)}`);
  assert.match(beforeMarker, /Booting from Hard Disk/, 'then the disk');

  // The guest reboots itself: QEMU resets with the spec's order (the NIC has no boot index now).
  await typeOnSerial(node.serialSocket(uid), '\nreboot -f\n');
  const afterReset = async () => {
    const all = await node.serial(uid);
    const at = all.indexOf('Restarting system');
    return at < 0 ? '' : all.slice(at);
  };
  await until('the disk booted again after the guest reset', async () => count(await afterReset(), node.disk.marker) >= 1, 400_000);
  assert.equal(firstBoot(await afterReset()), 'Booting from Hard Disk', 'the guest-made reset booted the disk first: the override was used up');
  assert.equal((await node.jsonpath('vmi', 'bm0', '{.metadata.uid}')).trim(), uid, 'the same VMI: a guest reset, not a restart');
  assert.equal(await node.jsonpath('vm', 'bm0', '{.spec.template.spec.domain.devices.disks[0].bootOrder}'), '1', "the VM's bootOrder is untouched");
  assert.equal(await node.jsonpath('vm', 'bm0', '{.spec.template.spec.domain.devices.interfaces[0].bootOrder}'), '', 'the NIC still has no bootOrder');
  const events = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=bm0,involvedObject.kind=VirtualMachine', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events, /BMCBootOverride/);
  assert.match(events, /BMCReset/);

  await sushy('reset:ForceOff', 'wait:off');
});
