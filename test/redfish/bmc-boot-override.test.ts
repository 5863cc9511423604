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
import { startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const SUSHY_DRIVE = new URL('./clients/sushy_drive.py', import.meta.url).pathname;
const skip = await vmiNodeUnavailable();

const count = (text: string, needle: string): number => text.split(needle).length - 1;

test('Pxe + Once: the first boot tries the NIC, the guest-made reset boots the disk; the spec is untouched', { skip, timeout: 900_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'redfish-once' });
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
    JSON.parse((await run('/usr/bin/python3', [SUSHY_DRIVE, `https://127.0.0.1:${node.daemon.port}`, 'admin', node.daemon.token, caFile, ...steps], { env, timeout: 120_000 })).stdout) as Array<Record<string, any>>;

  const first = await sushy('boot:Pxe:Once', 'state', 'reset:On', 'wait:on', 'state');
  assert.deepEqual([first[2]?.target, first[2]?.enabled], ['Pxe', 'Once']);
  assert.deepEqual([first[5]?.power, first[5]?.enabled], ['On', 'Disabled'], 'powered on, the one-time override is used up');
  const uid = (await node.jsonpath('vmi', 'bm0', '{.metadata.uid}')).trim();
  const args = JSON.parse(readFileSync(join(node.dataDir, 'run', 'vmi', uid, 'qemu.args'), 'utf8')) as string[];
  assert.ok(args.some((a) => /^virtio-net-pci,id=net0,.*bootindex=1/.test(a)), `the NIC boots first this time: ${args.join(' ')}`);
  assert.ok(args.some((a) => /^virtio-blk-pci,id=disk0,.*bootindex=2/.test(a)), 'the disk after it');

  // The NIC's iPXE ROM runs first (the pod network offers no boot file), then the disk boots.
  await until('the disk booted after the network try', async () => count(await node.serial(uid), node.disk.marker) >= 1, 400_000);
  const boot1 = await node.serial(uid);
  assert.match(boot1.slice(0, boot1.indexOf(node.disk.marker)), /iPXE/, 'the first boot ran the NIC ROM');

  // The guest reboots itself: QEMU resets with the spec's order (the NIC has no boot index now).
  const before = boot1.length;
  await typeOnSerial(node.serialSocket(uid), '\nreboot -f\n');
  await until('the disk booted again after the guest reset', async () => count((await node.serial(uid)).slice(before), node.disk.marker) >= 1, 400_000);
  const boot2 = (await node.serial(uid)).slice(before);
  assert.doesNotMatch(boot2.slice(0, boot2.indexOf(node.disk.marker)), /iPXE/, 'the reset did not try the network');
  assert.equal((await node.jsonpath('vmi', 'bm0', '{.metadata.uid}')).trim(), uid, 'the same VMI: a guest reset, not a restart');
  assert.equal(await node.jsonpath('vm', 'bm0', '{.spec.template.spec.domain.devices.disks[0].bootOrder}'), '1', "the VM's bootOrder is untouched");
  assert.equal(await node.jsonpath('vm', 'bm0', '{.spec.template.spec.domain.devices.interfaces[0].bootOrder}'), '', 'the NIC still has no bootOrder');
  const events = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=bm0,involvedObject.kind=VirtualMachine', '-o', 'jsonpath={.items[*].reason}']);
  assert.match(events, /BMCBootOverride/);
  assert.match(events, /BMCReset/);

  await sushy('reset:ForceOff', 'wait:off');
});
