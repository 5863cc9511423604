// Network GRUB's config, pure, generated per client from the selected image, for the two
// chains that boot through GRUB: Secure Boot (the Debian-signed grubnetx64, loaded by the
// Microsoft-signed shim; GRUB asks shim to verify the kernel, so it must be signed by a key
// shim trusts — Debian's are; the initrd is not verified) and arm64 UEFI (a network GRUB made
// with grub-mkimage from Debian's grub-efi-arm64-bin, whose prefix is /arm64: Debian's ipxe
// has no arm64 build). GRUB fetches the config over TFTP from the server it came from.
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
 * Files served from the node for arm64 UEFI clients, under the virtual `arm64/` directory: the
 * network GRUB scripts/arm64-files.sh builds and scripts/setup-debian.sh installs here.
 */
export const ARM64_FILES: Readonly<Record<string, string>> = {
  'grubaa64.efi': '/usr/local/lib/pxevirt/arm64/grubaa64.efi',
};

/** The boot file an arm64 UEFI client is told to fetch; its GRUB then reads `arm64/grub.cfg`. */
export const ARM64_BOOT_FILE = 'arm64/grubaa64.efi';

/** The architecture a GRUB config request comes from: arm64's GRUB asks under `arm64/`, the signed x64 one elsewhere. */
export function grubConfigArch(file: string): 'efi-x64' | 'efi-arm64' {
  return file.replace(/^\/+/, '').startsWith('arm64/') ? 'efi-arm64' : 'efi-x64';
}

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

/** Characters a path may have to be fetched by GRUB's http module, which sends it unencoded in the request line. */
const GRUB_HTTP_PATH = /^[A-Za-z0-9._+/-]+$/;

/**
 * GRUB's device for this server's HTTP files, or undefined when GRUB must use TFTP: GRUB 2.06's
 * http module connects to port 80 only (`HTTP_PORT` in grub-core/net/http.c) and is given IPv4
 * here (its IPv6 literal parsing is not relied on). Only the arm64 GRUB (scripts/arm64-files.sh)
 * has the module: Debian's signed grubnetx64 answers `disk (http,…) not found`.
 */
export function grubHttpDevice(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || url.port !== '' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(url.hostname)) return undefined;
  return `(http,${url.hostname})`;
}

/** Where GRUB loads one image file from: the HTTP server's `/files/` when it can (far fewer round trips than TFTP's 1 KiB blocks), else the TFTP root. */
function grubFilePath(file: string, http: string | undefined): string {
  const path = file.split('/').filter((s) => s !== '' && s !== '.').join('/');
  return http !== undefined && GRUB_HTTP_PATH.test(path) ? `${http}/files/${path}` : `/${path}`;
}

/**
 * The GRUB script that boots `image` (cmdline already rendered). Kernel and initrds are files of
 * this server: over HTTP when `httpDevice` is given (see grubHttpDevice), else over TFTP.
 */
export function grubImageConfig(image: PxeImage, reason: string, arch: 'efi-x64' | 'efi-arm64' = 'efi-x64', httpDevice?: string): string {
  const chain = arch === 'efi-arm64' ? 'the arm64 network GRUB' : 'the signed chain';
  if (image.kernel === undefined) return grubNoImage(`image ${image.name} is an iPXE script; ${chain} boots kernel images only`);
  const remote = [image.kernel, ...image.initrd].find((p) => /^https?:\/\//.test(p));
  if (remote !== undefined) return grubNoImage(`image ${image.name} names ${remote}; ${chain} loads files from this server only`);
  const args = image.cmdline.split(/\s+/).filter((w) => w !== '').map(grubQuote);
  const lines = [
    `# pxevirt: image ${image.name} (${reason.replaceAll('\n', ' ')})`,
    `echo ${grubQuote(`pxevirt: booting image ${image.name} through ${chain}`)}`,
    `linux ${grubQuote(grubFilePath(image.kernel, httpDevice))}${args.length ? ` ${args.join(' ')}` : ''}`,
    ...(image.initrd.length ? [`initrd ${image.initrd.map((i) => grubQuote(grubFilePath(i, httpDevice))).join(' ')}`] : []),
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

/** Network GRUB's config for a client known by its DHCP lease (`mac`) and its GRUB's arch, or why there is none. */
export function grubConfigFor(
  spec: Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu' | 'vms'>,
  client: { mac?: string | undefined; ip: string; relay?: RelayIds | undefined; arch?: 'efi-x64' | 'efi-arm64' },
  baseUrl: string,
): GrubAnswer {
  const arch = client.arch ?? 'efi-x64';
  if (client.mac === undefined) {
    const reason = `no DHCP exchange known for ${client.ip}, so no host to select an image for`;
    return { text: grubNoImage(reason), reason };
  }
  const selection = selectImage(spec, { mac: client.mac, arch, ...(client.relay ? { relay: client.relay } : {}) });
  if (selection.kind !== 'image') return { text: grubNoImage(selection.reason), reason: selection.reason };
  const image = renderImageFor(selection.image, hostValues({ mac: client.mac, ip: client.ip, arch, image: selection.image.name, baseUrl }));
  // Only our arm64 GRUB has the http module built in; Debian's signed grubnetx64 has none and loads no module under Secure Boot.
  const http = arch === 'efi-arm64' ? grubHttpDevice(baseUrl) : undefined;
  return { text: grubImageConfig(image, selection.reason, arch, http), image: image.name, reason: selection.reason };
}
