// Issue 14, Must-show 1: the user's whole install flow through kubectl on the seed's NAD (see
// flow.ts for the PXEServer and the VirtualMachine). Four boots, each one asserted:
//   1. the NIC boots the installer, which writes disk.img from {{files}} to the blank
//      DataVolume's disk, POSTs {{doneURL}} and reboots — QEMU resets, the VMI stays Running;
//   2. the `once` host gets the local-boot answer and the disk boots (its marker); the
//      PXEServer lists the host Provisioned, the timeline shows `local-boot`;
//   3. `pxevirt stop` / `pxevirt start`: a new VMI boots the disk again, with no download of
//      disk.img (the PXE server's log and timeline);
//   4. `pxevirt pxe reprovision PXESERVER MAC`, then the guest's own reboot: it installs again.
// It replaces test/pxe/install-guest.test.ts (the same install with `pxe serve` and bare QEMU):
// a PXEServer runs that same `pxe serve`, and every step it showed is asserted here.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { installLinePrefix } from '../../scripts/guest/init-script.ts';
import { typeOnSerial, until } from '../helpers/vmi-node.ts';
import { INSTALL_MAC, installFlowUnavailable, installVm, startInstallFlow } from './flow.ts';

const skip = await installFlowUnavailable();
type Json = Record<string, any>;

const count = (text: string, part: string) => text.split(part).length - 1;

test('a VM installs its blank DataVolume over PXE, boots it, keeps it across stop/start and installs again when reprovisioned', { skip, timeout: 1_800_000 }, async (t) => {
  const flow = await startInstallFlow(t, { name: 'inst' });
  const { kubectl, jsonpath, disk } = flow;
  const serverUid = await flow.startPxeServer();
  // Every HTTP request for disk.img the server logged (a download, or one that broke off), once each.
  const diskLines = async () => (await flow.pxeLog(serverUid)).filter((l) => l.proto === 'http' && l.file === 'disk.img' && (l.event === 'done' || l.event === 'error'));
  const diskGets = async () => new Set((await diskLines()).map((l) => `${String(l.time)} ${String(l.ip)} ${String(l.event)}`)).size;
  const hostOf = async (): Promise<Json | undefined> => (JSON.parse(await kubectl(['get', 'pxeserver', 'pxe', '-o', 'json'])) as Json).status?.hosts?.find((h: Json) => h.mac === INSTALL_MAC);
  const timeline = async (): Promise<Json[]> => ((JSON.parse(await kubectl(['get', 'pxeserver', 'pxe', '-o', 'json'])) as Json).status?.boots ?? []).find((b: Json) => b.mac === INSTALL_MAC)?.events ?? [];

  assert.match(await kubectl(['create', '-f', '-'], JSON.stringify(installVm('inst', flow.size))), /virtualmachine\.kubevirt\.io\/inst created/);
  const uid = await until('the VMI to be Running', async () => ((await jsonpath('vmi', 'inst', '{.status.phase}')) === 'Running' ? jsonpath('vmi', 'inst', '{.metadata.uid}') : undefined), 300_000);
  assert.equal(await jsonpath('dv', 'inst-disk', '{.status.phase}'), 'Succeeded', 'the blank DataVolume succeeded before the VMI started');

  // While the guest installs and reboots, the VMI is watched: one uid, always Running.
  const seen = new Set<string>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const now = await jsonpath('vmi', 'inst', '{.metadata.uid} {.status.phase}');
      if (now !== '') seen.add(now); // '' is kubectl failing (a slow machine), not an answer
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  })();
  t.after(() => void (watching = false));

  // Boot 1: the installer. Boot 2: the disk it wrote.
  await until('the installer to finish', async () => (await flow.serial(uid)).includes(`${installLinePrefix}done, rebooting`), 420_000);
  const installLog = await flow.serial(uid);
  assert.ok(installLog.includes(`${installLinePrefix}writing http://192.168.77.1:`), `the installer fetched from {{files}}:\n${installLog.slice(-2000)}`);
  assert.ok(!installLog.includes(`${installLinePrefix}failed`), 'no install step failed');
  await until('the installed disk to boot', async () => (await flow.serial(uid)).includes(disk.marker), 300_000);
  watching = false;
  await watcher;
  assert.deepEqual([...seen], [`${uid} Running`], 'the VMI never left Running and was never replaced');
  assert.equal(await diskGets(), 1, `disk.img was downloaded once: ${JSON.stringify(await diskLines())}`);

  const host = await until('the host Provisioned in status', async () => {
    const h = await hostOf();
    return h?.state === 'Provisioned' ? h : undefined;
  }, 60_000);
  assert.equal(host.image, 'installer');
  const events = await until('the local-boot answer on the timeline', async () => {
    const e = await timeline();
    return e.some((x) => x.event === 'local-boot') ? e : undefined;
  }, 60_000);
  const names = events.map((e) => `${e.proto} ${e.event}`);
  assert.ok(names.indexOf('http provisioned') < names.lastIndexOf('http local-boot'), `provisioned, then the local-boot answer: ${names.join(', ')}`);
  assert.match(await flow.pxevirt(['describe', 'pxeserver', 'pxe']), /Mac:\s+de:00:00:00:14:01[\s\S]*State:\s+Provisioned/);

  // Boot 3: stop and start — a new VMI, the disk boots again, nothing downloaded.
  assert.match(await flow.pxevirt(['stop', 'inst']), /VM inst was scheduled to stop/);
  await until('the VMI to be gone', async () => (await flow.daemon.kubectl(['get', 'vmi', 'inst'])).code !== 0, 120_000);
  const startedAt = new Date().toISOString();
  await flow.pxevirt(['start', 'inst']);
  const uid2 = await until('a new Running VMI', async () => {
    const now = await jsonpath('vmi', 'inst', '{.metadata.uid}');
    return now && now !== uid && (await jsonpath('vmi', 'inst', '{.status.phase}')) === 'Running' ? now : undefined;
  }, 300_000);
  await until('the disk to boot after start', async () => (await flow.serial(uid2)).includes(disk.marker), 300_000);
  const afterStart = await flow.serial(uid2);
  assert.ok(!afterStart.includes(installLinePrefix), 'the installer did not run again');
  assert.equal(await diskGets(), 1, 'no new download of disk.img');
  await until('the local-boot answer to the started VM on the timeline', async () => (await timeline()).some((e) => e.event === 'local-boot' && e.time >= startedAt), 60_000);
  assert.equal((await hostOf())?.state, 'Provisioned');

  // Boot 4: reprovision, then the guest reboots itself and installs again (same VMI).
  assert.match(await flow.pxevirt(['pxe', 'reprovision', 'pxe', INSTALL_MAC]), /de:00:00:00:14:01 will install again on its next boot/);
  await until('the host sent back to install', async () => ((await hostOf())?.state === 'Provisioned' ? undefined : true), 60_000);
  await until('the guest shell', async () => (await flow.serial(uid2)).includes('PXEVIRT-GUEST ready'), 120_000);
  await typeOnSerial(flow.serialSocket(uid2), '\nreboot -f\n');
  await until('the installer to run again', async () => count(await flow.serial(uid2), `${installLinePrefix}done, rebooting`) === 1, 420_000);
  assert.equal(await diskGets(), 2, 'disk.img downloaded again');
  assert.equal(await jsonpath('vmi', 'inst', '{.metadata.uid}'), uid2);
  await until('the host Provisioned again', async () => (await hostOf())?.state === 'Provisioned', 60_000);

  await kubectl(['delete', 'vm', 'inst', '--wait=false']);
  await kubectl(['delete', 'pxeserver', 'pxe', '--timeout=120s']);
});
