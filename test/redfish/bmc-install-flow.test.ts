// Issue 16, Must-show 1: python3-sushy (the library Ironic uses) drives a VM like a server — a
// bridge NIC on the PXEServer's NAD (no bootOrder: the NIC boots only when the BMC says so) and a
// blank DataVolume disk (bootOrder 1). Three boots, each asserted:
//   1. Pxe + Once, power on → the NIC boots the PXEServer's installer, which writes the disk,
//      POSTs doneURL and resets the guest itself;
//   2. that reset boots the disk (the override was used up: QEMU got the spec's order back);
//   3. power off, Hdd + Continuous, InsertMedia of an ISO served over HTTP, Cd + Once, power on →
//      the guest boots the ISO (its own marker); EjectMedia; the VM's spec never changed.
// The same requests with curl, for readers, are in bmc-clients.test.ts (curl-sequence.sh).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { installLinePrefix } from '../../scripts/guest/init-script.ts';
import { buildTestIso } from '../../scripts/guest/iso-image.ts';
import { installFlowUnavailable, installVm, startInstallFlow } from '../install/flow.ts';
import { until } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const SUSHY_DRIVE = new URL('./clients/sushy_drive.py', import.meta.url).pathname;
const skip = await installFlowUnavailable();
type Json = Record<string, any>;
const firstBoot = (text: string) => /Booting from [^.\r\n]*/.exec(text)?.[0];

test('sushy: Pxe+Once installs the disk and the guest-made reset boots it; Cd+Once boots an inserted ISO; eject', { skip, timeout: 1_800_000 }, async (t) => {
  const flow = await startInstallFlow(t, { name: 'bmcf' });
  const iso = await buildTestIso({ name: 'bmcf-cd' });
  await flow.startPxeServer();
  // The ISO on loopback, where the daemon downloads it from.
  const server = createServer((req, res) => {
    if (req.url !== '/bmcf-cd.iso') return void res.writeHead(404).end();
    res.setHeader('content-type', 'application/octet-stream');
    createReadStream(iso.path).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const isoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bmcf-cd.iso`;

  // The VM a bare-metal user would enroll: Halted, the disk first, the NIC without a boot order.
  const vm = installVm('bm', flow.size) as Json;
  vm.spec.runStrategy = 'Halted';
  vm.spec.template.spec.domain.devices.disks[0].bootOrder = 1;
  delete vm.spec.template.spec.domain.devices.interfaces[0].bootOrder;
  await flow.kubectl(['create', '-f', '-'], JSON.stringify(vm));
  const specBefore = await flow.jsonpath('vm', 'bm', '{.spec}');

  const config = parse(readFileSync(flow.daemon.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
  const caFile = join(flow.dataDir, 'redfish-test-ca.pem');
  writeFileSync(caFile, Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
  const sushy = async (...steps: string[]) =>
    JSON.parse((await run('/usr/bin/python3', [SUSHY_DRIVE, `https://127.0.0.1:${flow.daemon.port}`, 'admin', flow.daemon.token, caFile, ...steps], { env: { ...process.env, REQUESTS_CA_BUNDLE: caFile }, timeout: 600_000 })).stdout) as Json[];
  const diagnosis = async () => `${await flow.kubectl(['get', 'vmi', '-o', 'yaml']).catch(String)}\n${await flow.kubectl(['get', 'events']).catch(String)}`;
  const runningUid = (not?: string) =>
    until('a Running VMI', async () => {
      const [uid, phase] = (await flow.jsonpath('vmi', 'bm', '{.metadata.uid} {.status.phase}')).split(' ');
      return uid && uid !== not && phase === 'Running' ? uid : undefined;
    }, 400_000);

  // Boots 1 and 2: the one-time PXE boot installs, the guest's own reset boots the disk.
  const first = await sushy('state', 'boot:Pxe:Once', 'state', 'reset:On', 'wait:on:400', 'state');
  assert.deepEqual([first[1]?.power, first[1]?.target], ['Off', 'None'], 'powered off, no override at first');
  assert.deepEqual([first[3]?.target, first[3]?.enabled], ['Pxe', 'Once']);
  if (first[5]?.power !== 'On') assert.fail(`the system did not power on: ${JSON.stringify(first)}\n${await diagnosis()}`);
  assert.equal(first[6]?.enabled, 'Disabled', 'powered on, the one-time override is used up');
  const uid = await runningUid();
  const qemuArgs = (of: string) => JSON.parse(readFileSync(join(flow.dataDir, 'run', 'vmi', of, 'qemu.args'), 'utf8')) as string[];
  assert.ok(qemuArgs(uid).some((a) => /^virtio-net-pci,id=net0,.*bootindex=1/.test(a)), `the NIC boots first this time: ${qemuArgs(uid).join(' ')}`);
  assert.ok(qemuArgs(uid).some((a) => /^virtio-blk-pci,id=disk0,.*bootindex=2/.test(a)), 'the disk after it');
  await until('the installer to finish', async () => (await flow.serial(uid)).includes(`${installLinePrefix}done, rebooting`), 600_000);
  await until('the installed disk to boot after the reset', async () => (await flow.serial(uid)).includes(flow.disk.marker), 400_000);
  // SeaBIOS says what it boots: the NIC's iPXE ROM first, and after the reset the disk at once.
  const boots = await flow.serial(uid);
  const afterReset = boots.slice(boots.indexOf(`${installLinePrefix}done, rebooting`));
  assert.notEqual(firstBoot(boots), 'Booting from Hard Disk', `the first boot was the NIC: ${firstBoot(boots)}`);
  assert.equal(firstBoot(afterReset), 'Booting from Hard Disk', 'the guest-made reset booted the disk first: the override was used up');
  assert.equal(await flow.jsonpath('vmi', 'bm', '{.metadata.uid}'), uid, 'the same VMI: a guest reset, not a restart');

  // Boot 3: power off, Hdd + Continuous, then an ISO as virtual media and Cd + Once.
  const second = await sushy('reset:ForceOff', 'wait:off:120', 'boot:Hdd:Continuous', 'state', 'media', `insert:${isoUrl}`, 'boot:Cd:Once', 'state', 'reset:On', 'wait:on:400');
  assert.equal(second[2]?.power, 'Off');
  assert.deepEqual([second[4]?.target, second[4]?.enabled], ['Hdd', 'Continuous']);
  assert.deepEqual([second[5]?.inserted, second[5]?.connected_via, second[5]?.types], [false, 'NotConnected', ['CD', 'DVD']]);
  assert.deepEqual([second[6]?.inserted, second[6]?.image, second[6]?.connected_via], [true, isoUrl, 'URI']);
  assert.deepEqual([second[8]?.target, second[8]?.enabled], ['Cd', 'Once']);
  if (second[10]?.power !== 'On') assert.fail(`the system did not power on again: ${JSON.stringify(second)}\n${await diagnosis()}`);
  const uid2 = await runningUid(uid);
  assert.ok(qemuArgs(uid2).some((a) => /^ide-cd,.*bootindex=1/.test(a)), `the virtual CD-ROM boots first: ${qemuArgs(uid2).join(' ')}`);
  await until('the ISO to boot', async () => (await flow.serial(uid2)).includes(iso.marker), 400_000);
  assert.ok(!(await flow.serial(uid2)).includes(flow.disk.marker), 'the CD booted, not the disk');
  assert.match(firstBoot(await flow.serial(uid2)) ?? '', /^Booting from DVD\/CD/);

  const third = await sushy('eject', 'state', 'reset:ForceOff', 'wait:off:120');
  assert.deepEqual([third[1]?.inserted, third[1]?.image], [false, null]);
  assert.equal(third[2]?.enabled, 'Disabled', 'the one-time Cd override was used up (it replaced Hdd + Continuous)');
  assert.equal(await flow.jsonpath('vm', 'bm', '{.spec}'), specBefore, "the VM's spec is the user's: no CD-ROM, no boot order written into it (runStrategy is Halted again)");
  const reasons = await flow.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=bm,involvedObject.kind=VirtualMachine', '-o', 'jsonpath={.items[*].reason}']);
  for (const reason of ['BMCBootOverride', 'BMCReset', 'BMCVirtualMedia']) assert.match(reasons, new RegExp(reason));
});
