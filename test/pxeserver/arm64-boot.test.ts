// arm64 network boot (issue 18, Must-show 3), end to end through kubectl: a VMI with
// spec.architecture: arm64 runs under qemu-system-aarch64 (software emulation) with AAVMF; its
// firmware asks DHCP as an arm64 UEFI client (option 93 code 11), the PXEServer hands it the
// arm64 network GRUB (Debian ships no arm64 iPXE), GRUB fetches its generated config, which
// boots the image a host entry selects by arch efi-arm64: the test guest built from Debian's
// arm64 kernel and busybox, which prints its marker on the PL011 serial console.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { ARM64_FILES } from '../../src/pxe/grub-config.ts';
import { AAVMF_FILES } from '../../src/runtime/local-runtime.ts';
import { imageEntry, seedNadPxeServer, stageImage } from '../helpers/pxe.ts';
import { cleanSerial, qemusWith, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';
import { pxeNetVmi, SEED_NAD, startPxeVmNode } from './node-daemon.ts';

const missing = [...Object.values(ARM64_FILES), AAVMF_FILES.code, AAVMF_FILES.vars, '/usr/bin/qemu-system-aarch64'].find((f) => !existsSync(f));
const skip = (await vmiNodeUnavailable()) ?? (missing ? `${missing} missing (make setup: packages qemu-system-arm, qemu-efi-aarch64, and the arm64 GRUB from scripts/arm64-files.sh)` : undefined);
const MAC = 'de:00:00:00:a6:01';

const vmi = pxeNetVmi('arm', MAC, { spec: { architecture: 'arm64' }, devices: { autoattachGraphicsDevice: false } });

type Json = Record<string, any>;

test('an arm64 VMI PXE-boots the arm64 test guest through the arm64 network GRUB', { skip, timeout: 1_800_000 }, async (t) => {
  const { dataDir, d, kubectl, imagesDir } = await startPxeVmNode(t, 'pxa6', 1000);
  const guest = await buildTestGuest({ name: 'arm64guest', arch: 'arm64' });
  await stageImage(imagesDir, 'arm64-guest', guest);
  const server = seedNadPxeServer('pxe', {
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
    // No default image: only the arch selector can pick the arm64 image.
    images: [imageEntry('arm64-guest', 'console=ttyAMA0 quiet')],
    // Port 80: GRUB 2.06 speaks HTTP to port 80 only, so the generated config loads the image over HTTP.
    http: { port: 80 },
    hosts: [{ selector: { arch: 'efi-arm64' }, image: 'arm64-guest' }],
  });
  const serial = async () => {
    const uid = (await d.kubectl(['get', 'vmi', 'arm', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    return uid === '' ? '' : readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(cleanSerial, () => '');
  };
  const timeline = async (): Promise<Json | undefined> => (JSON.parse(await kubectl(['get', 'pxeserver', 'pxe', '-o', 'json'])) as Json).status?.boots?.find((b: Json) => b.mac === MAC);

  await kubectl(['apply', '-f', SEED_NAD]);
  await kubectl(['create', '-f', '-'], JSON.stringify(server));
  await until('the PXEServer Ready', async () => (await d.kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout.trim() === 'True', 180_000);
  await kubectl(['create', '-f', '-'], JSON.stringify(vmi));
  await until('the arm64 VMI to boot the test guest', async () => (await serial()).includes(guest.marker), 1_500_000).catch(async (err: Error) => {
    throw new Error(`${err.message}; serial tail:\n${(await serial()).slice(-2000)}\ntimeline: ${JSON.stringify(await timeline())}`);
  });

  // qemu-system-aarch64 on the virt machine with AAVMF and the VMI's own vars copy.
  const uid = (await kubectl(['get', 'vmi', 'arm', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const [qemu] = await qemusWith(uid);
  const argv = (await readFile(`/proc/${qemu}/cmdline`, 'utf8')).split('\0');
  assert.match(argv[0] ?? '', /qemu-system-aarch64$/);
  const line = argv.join(' ');
  assert.match(line, /-machine virt /);
  assert.match(line, /AAVMF_CODE\.fd/);
  assert.match(line, new RegExp(`${uid}/AAVMF_VARS\\.fd`));
  // The server's whole log: DHCP saw an arm64 UEFI client; GRUB and its config went over TFTP, the image over HTTP.
  const serverUid = (await kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const log = (await readFile(join(dataDir, 'run', 'pxeserver', serverUid, 'state', 'pxe.log'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
  assert.ok(log.some((e) => e.proto === 'dhcp' && e.mac === MAC && e.arch === 'efi-arm64'), 'DHCP saw option 93 code 11 (efi-arm64)');
  const files = log.filter((e) => e.proto === 'tftp' && e.event === 'done' && e.mac === MAC).map((e) => e.file as string);
  assert.ok(files.includes('arm64/grubaa64.efi'), `expected arm64/grubaa64.efi sent over TFTP, found ${files.join(', ')}`);
  // The only client on this server is the arm64 guest (GRUB's requests carry no MAC).
  const overHttp = log.filter((e) => e.proto === 'http' && e.event === 'done').map((e) => String(e.file).replace(/^\/+/, ''));
  for (const f of ['arm64-guest/vmlinuz', 'arm64-guest/initrd.gz']) assert.ok(overHttp.some((h) => h.endsWith(f)), `expected ${f} sent over HTTP, found ${overHttp.join(', ')}`);
  assert.ok(!files.some((f) => f.startsWith('arm64-guest/')), 'the image did not also go over TFTP');
  assert.ok(log.some((e) => e.event === 'grub-config' && e.image === 'arm64-guest' && /arch efi-arm64/.test(String(e.reason))), 'the generated GRUB config selected the arm64 image by arch');
  assert.ok(!files.some((f) => f.startsWith('ipxe/')), 'no iPXE binary for arm64');
  assert.match(await serial(), /pxevirt: booting image arm64-guest through the arm64 network GRUB/);
  await kubectl(['delete', 'vmi', 'arm']);
});
