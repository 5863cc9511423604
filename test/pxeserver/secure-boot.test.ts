// Secure Boot network boot (issue 18, Must-show 1), end to end through kubectl: a VMI with
// efi.secureBoot and SMM runs OVMF with Microsoft's keys enrolled; the PXEServer image with
// secureBoot: true boots it through the signed chain (Microsoft-signed shim → Debian-signed
// network GRUB → Debian-signed kernel) to the test guest. Sent to an image without secureBoot
// (the unsigned iPXE), the same VMI does not boot, and the PXEServer's timeline says that Secure
// Boot likely refused what it fetched.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { SIGNED_FILES } from '../../src/pxe/grub-config.ts';
import { imageEntry, seedNadPxeServer, stageImage } from '../helpers/pxe.ts';
import { cleanSerial, qemusWith, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';
import { pxeNetVmi, SEED_NAD, startPxeVmNode } from './node-daemon.ts';
import { podFiles } from '../../src/runtime/pxeserver-pod.ts';

const missing = Object.values(SIGNED_FILES).find((f) => !existsSync(f));
const skip = (await vmiNodeUnavailable()) ?? (missing ? `${missing} missing (packages shim-signed, grub-efi-amd64-signed)` : undefined) ?? (existsSync('/usr/share/OVMF/OVMF_VARS_4M.ms.fd') ? undefined : 'OVMF with Microsoft keys missing (package ovmf)');
const MAC = 'de:00:00:00:5b:01';

const vmi = pxeNetVmi('sb', MAC, { domain: { features: { smm: { enabled: true } }, firmware: { bootloader: { efi: { secureBoot: true } } } } });

type Json = Record<string, any>;

test('a Secure Boot VMI network-boots the signed chain; sent to the unsigned iPXE it fails and the timeline says why', { skip, timeout: 1_500_000 }, async (t) => {
  const { dataDir, d, kubectl, imagesDir } = await startPxeVmNode(t, 'pxsb', 1000);
  const guest = await buildTestGuest({ name: 'sbguest' });
  for (const name of ['signed', 'unsigned']) await stageImage(imagesDir, name, guest);
  const serverFor = (image: string) =>
    seedNadPxeServer('pxe', {
      dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
      images: [{ ...imageEntry('signed'), secureBoot: true }, imageEntry('unsigned')],
      hosts: [{ selector: { vmName: 'sb' }, image }],
    });
  const ready = () => until('the PXEServer Ready', async () => (await d.kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout.trim() === 'True', 180_000);
  const serial = async () => {
    const uid = (await d.kubectl(['get', 'vmi', 'sb', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    return uid === '' ? '' : readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(cleanSerial, () => '');
  };
  const timeline = async (): Promise<Json | undefined> => (JSON.parse(await kubectl(['get', 'pxeserver', 'pxe', '-o', 'json'])) as Json).status?.boots?.find((b: Json) => b.mac === MAC);

  await kubectl(['apply', '-f', SEED_NAD]);
  await kubectl(['create', '-f', '-'], JSON.stringify(serverFor('signed')));
  await ready();

  // The signed chain: shim, then GRUB and its generated config, then the kernel GRUB had shim verify.
  await kubectl(['create', '-f', '-'], JSON.stringify(vmi));
  await until('the Secure Boot VMI to boot the test guest', async () => (await serial()).includes(guest.marker), 900_000).catch(async (err: Error) => {
    throw new Error(`${err.message}; serial tail:\n${(await serial()).slice(-2000)}\ntimeline: ${JSON.stringify(await timeline())}`);
  });
  // OVMF's Secure Boot build with SMM, the Microsoft-keyed vars copied for this guest.
  const uid = (await kubectl(['get', 'vmi', 'sb', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const [qemu] = await qemusWith(uid);
  const argv = (await readFile(`/proc/${qemu}/cmdline`, 'utf8')).split('\0').join(' ');
  assert.match(argv, /OVMF_CODE_4M\.secboot\.fd/);
  assert.match(argv, /smm=on/);
  // The server's whole log (status keeps only the newest events): every link of the chain went over TFTP.
  const serverUid = (await kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const log = (await readFile(podFiles(join(dataDir, 'run', 'pxeserver', serverUid)).log, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
  const files = log.filter((e) => e.proto === 'tftp' && e.event === 'done' && e.mac === MAC).map((e) => e.file as string);
  for (const f of ['signed/shimx64.efi', 'signed/grubx64.efi', 'grub/grub.cfg', 'signed/vmlinuz', 'signed/initrd.gz']) assert.ok(files.includes(f), `expected ${f} sent over TFTP, found ${files.join(', ')}`);
  assert.ok(!files.some((f) => f.startsWith('ipxe/')), 'no iPXE binary on the signed path');
  assert.match(await serial(), /pxevirt: booting image signed through the signed chain/, 'GRUB ran the generated config');

  // The same VMI sent to the unsigned iPXE: refused, and the timeline says so.
  await kubectl(['delete', 'vmi', 'sb', '--wait=true']);
  await kubectl(['apply', '-f', '-'], JSON.stringify(serverFor('unsigned')));
  await until('the server restarted with the new spec', async () => (await d.kubectl(['get', 'events', '--field-selector', 'reason=Restarting', '-o', 'name'])).stdout.trim() !== '', 60_000);
  await ready();
  await kubectl(['create', '-f', '-'], JSON.stringify(vmi));
  const refused = await until('the timeline to explain the refusal', async () => {
    const boot = await timeline();
    return (boot?.gaps ?? []).find((g: Json) => g.cause === 'secure-boot-refused');
  }, 900_000).catch(async (err: Error) => {
    throw new Error(`${err.message}; timeline: ${JSON.stringify(await timeline())}\nserial tail:\n${(await serial()).slice(-2000)}`);
  });
  assert.match(refused.likely, /ipxe\/ipxe\.efi, which is unsigned, .*likely refused by Secure Boot/);
  assert.ok(!(await serial()).includes(guest.marker), 'the guest did not boot through the unsigned iPXE');
  await kubectl(['delete', 'vmi', 'sb']);
});
