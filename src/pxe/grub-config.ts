// The Secure Boot chain's last step, pure: the GRUB config the Debian-signed network GRUB
// (grubnetx64, loaded by the Microsoft-signed shim) fetches over TFTP, generated per client from
// the selected image. GRUB asks shim to verify the kernel, so the image's kernel must be signed
// by a key shim trusts (Debian's kernels are); the initrd is not verified.
import type { PxeImage, PxeServerSpec } from '../resources/pxe-server.ts';
import { hostValues, renderImageFor } from './host-values.ts';
import type { RelayIds } from './relay-info.ts';
import { selectImage } from './select.ts';

/** Files served from the node for the signed chain, under the virtual `signed/` directory. */
export const SIGNED_FILES: Readonly<Record<string, string>> = {
  // shim loads grubx64.efi from the directory it was loaded from.
  'shimx64.efi': '/usr/lib/shim/shimx64.efi.signed',
  'grubx64.efi': '/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed',
};

/** The boot file a Secure Boot x64 UEFI client is told to fetch. */
export const SIGNED_BOOT_FILE = 'signed/shimx64.efi';

/**
 * True for the names network GRUB looks for its config under ($prefix/grub.cfg,
 * $prefix/x86_64-efi/grub.cfg, grub.cfg-01-<mac>, grub.cfg-<hex ip>…), in any directory.
 */
export function isGrubConfigName(file: string): boolean {
  const base = file.split('/').at(-1) ?? '';
  return base === 'grub.cfg' || base.startsWith('grub.cfg-');
}

/** Quotes one word for GRUB's shell-like parser (single quotes; a quote inside ends, escapes and reopens). */
export function grubQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** A GRUB script that prints why nothing is booted (and waits, so it can be read on a console). */
export function grubNoImage(reason: string): string {
  return `# pxevirt: no image\necho ${grubQuote(`pxevirt: ${reason}`)}\nsleep 30\n`;
}

/** The GRUB script that boots `image` (cmdline already rendered); kernel and initrds are paths on this TFTP server. */
export function grubImageConfig(image: PxeImage, reason: string): string {
  if (image.kernel === undefined) return grubNoImage(`image ${image.name} is an iPXE script; the signed chain boots kernel images only`);
  const remote = [image.kernel, ...image.initrd].find((p) => /^https?:\/\//.test(p));
  if (remote !== undefined) return grubNoImage(`image ${image.name} names ${remote}; the signed chain loads files from this server's TFTP root only`);
  const args = image.cmdline.split(/\s+/).filter((w) => w !== '').map(grubQuote);
  const lines = [
    `# pxevirt: image ${image.name} (${reason.replaceAll('\n', ' ')})`,
    `echo ${grubQuote(`pxevirt: booting image ${image.name} through the signed chain`)}`,
    `linux ${grubQuote(`/${image.kernel}`)}${args.length ? ` ${args.join(' ')}` : ''}`,
    ...(image.initrd.length ? [`initrd ${image.initrd.map((i) => grubQuote(`/${i}`)).join(' ')}`] : []),
    'boot',
  ];
  return `${lines.join('\n')}\n`;
}

/** The GRUB config answer for one client, and what the timeline should say about it. */
export interface GrubAnswer {
  text: string;
  image?: string;
  reason: string;
}

/** The signed chain's GRUB config for a client known by its DHCP lease (`mac`), or why there is none. */
export function grubConfigFor(spec: Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu' | 'vms'>, client: { mac?: string | undefined; ip: string; relay?: RelayIds | undefined }, baseUrl: string): GrubAnswer {
  if (client.mac === undefined) {
    const reason = `no DHCP exchange known for ${client.ip}, so no host to select an image for`;
    return { text: grubNoImage(reason), reason };
  }
  const selection = selectImage(spec, { mac: client.mac, arch: 'efi-x64', ...(client.relay ? { relay: client.relay } : {}) });
  if (selection.kind !== 'image') return { text: grubNoImage(selection.reason), reason: selection.reason };
  const image = renderImageFor(selection.image, hostValues({ mac: client.mac, ip: client.ip, arch: 'efi-x64', image: selection.image.name, baseUrl }));
  return { text: grubImageConfig(image, selection.reason), image: image.name, reason: selection.reason };
}
