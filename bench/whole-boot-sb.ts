// The Secure Boot row of the whole-boot benchmark (issue 18 Must-show 5): OVMF's Secure Boot
// build with Microsoft's keys, no option ROM (QEMU's iPXE ROM is unsigned), firmware PXE over
// IPv4 → the Microsoft-signed shim → the Debian-signed network GRUB → its config → the signed
// kernel and the initrd, all over TFTP. pxevirt: an image with secureBoot: true. The peer:
// dnsmasq's DHCP and TFTP serving the same files and a grub.cfg with the same lines pxevirt
// generates. Run from bench/whole-boot.ts.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace } from '../test/helpers/netns.ts';
import { imageEntry, stageImage, startPxeServe, tempDir } from '../test/helpers/pxe.ts';
import { OVMF_SECURE_CODE, OVMF_SECURE_VARS } from '../test/helpers/qemu.ts';
import { grubImageConfig, SIGNED_FILES } from '../src/pxe/grub-config.ts';
import { bootToMarker, CMDLINE, spawnDnsmasq, type Side } from './whole-boot-guest.ts';

const ADDRESS = '192.168.100.1/24';

/** Why the row cannot run here, or undefined. */
export function secureBootUnavailable(): string | undefined {
  const missing = [...Object.values(SIGNED_FILES), OVMF_SECURE_CODE, OVMF_SECURE_VARS].find((f) => !existsSync(f));
  return missing === undefined ? undefined : `${missing} missing (packages shim-signed, grub-efi-amd64-signed, ovmf)`;
}

const pxevirt: Side = async (t, image) => {
  const node = await createNodeNamespace(t, { address: ADDRESS });
  const pxe = await startPxeServe(t, node, {
    interface: node.bridge,
    address: ADDRESS,
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199', leaseSeconds: 600 },
    http: { port: 8080 },
    images: [{ ...imageEntry('tiny-linux', CMDLINE), secureBoot: true }],
    defaultImage: 'tiny-linux',
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  return bootToMarker(t, node, 'de:00:00:00:5b:01', { firmware: 'uefi', secureBoot: true, rom: false });
};

const dnsmasq: Side = async (t, image) => {
  const node = await createNodeNamespace(t, { address: ADDRESS });
  const dir = await tempDir(t, 'pxevirt-bench-dnsmasq-sb-');
  const root = join(dir, 'tftp');
  await mkdir(join(root, 'grub'), { recursive: true });
  await stageImage(root, 'tiny-linux', image);
  // shim and GRUB at the root: with dnsmasq's answer, shim asks for /grubx64.efi whatever
  // directory it was loaded from (seen in dnsmasq's log).
  for (const [name, from] of Object.entries(SIGNED_FILES)) await copyFile(from, join(root, name));
  const config = grubImageConfig({ name: 'tiny-linux', kernel: 'tiny-linux/vmlinuz', initrd: ['tiny-linux/initrd.gz'], cmdline: CMDLINE }, 'the peer');
  await writeFile(join(root, 'grub', 'grub.cfg'), config);
  spawnDnsmasq(node, dir, ['--dhcp-range=192.168.100.100,192.168.100.199,10m', '--dhcp-boot=shimx64.efi', '--enable-tftp', `--tftp-root=${root}`]);
  return bootToMarker(t, node, 'de:00:00:00:5b:02', { firmware: 'uefi', secureBoot: true, rom: false });
};

export const secureBootSides = { pxevirt, dnsmasq };
