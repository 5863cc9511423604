// What a PXE client is, and what file it is told to boot: iPXE gets the HTTP script URL,
// other firmware gets an iPXE binary (no chainload loop), UEFI HTTP boot gets an http URL;
// arm64 UEFI gets the arm64 network GRUB (Debian ships no arm64 iPXE).
import type { ClientArch } from '../resources/pxe-server.ts';
import { ARM64_BOOT_FILE, SIGNED_BOOT_FILE } from './grub-config.ts';

/** Option 93 codes (RFC 4578 with IANA's later assignments) mapped to pxevirt's arch names. */
const ARCH_BY_CODE: ReadonlyMap<number, ClientArch> = new Map([
  [0, 'bios'],
  [6, 'efi-ia32'],
  [7, 'efi-x64'],
  [9, 'efi-x64'], // EBC: firmware that reports 9 is x64 in practice
  [11, 'efi-arm64'],
  [15, 'efi-ia32'],
  [16, 'efi-x64-http'],
  [19, 'efi-arm64-http'],
]);

/** Maps option 93 to an arch; unknown codes give undefined. */
export function archFromCode(code: number): ClientArch | undefined {
  return ARCH_BY_CODE.get(code);
}

/** Maps iPXE's `${platform}` and `${buildarch}` to an arch. */
export function archFromIpxe(platform: string, buildarch: string): ClientArch | undefined {
  if (platform === 'pcbios') return 'bios';
  if (platform !== 'efi') return undefined;
  if (buildarch === 'x86_64') return 'efi-x64';
  if (buildarch === 'i386') return 'efi-ia32';
  if (buildarch === 'arm64') return 'efi-arm64';
  return undefined;
}

/** True for UEFI HTTP boot firmware (it needs an http URL and vendor class HTTPClient). */
export function isHttpBootArch(arch: ClientArch): boolean {
  return arch.endsWith('-http');
}

export interface PxeClient {
  mac: string;
  arch: ClientArch;
  /** iPXE announced itself (option 175 or user-class "iPXE"). */
  ipxe: boolean;
  uuid?: string;
  hostname?: string;
}

export interface BootServer {
  /** This server's address (no prefix). */
  address: string;
  httpPort: number;
}

export interface BootFile {
  /** What goes in the `file` field and option 67. */
  file: string;
  /** Option 60 in the reply: `PXEClient`, or `HTTPClient` for UEFI HTTP boot. */
  vendorClass: 'PXEClient' | 'HTTPClient';
}

/** iPXE binaries served under the virtual `ipxe/` directory, from the server's ipxeDir. */
export const IPXE_BINARIES: Readonly<Partial<Record<ClientArch, string>>> = {
  bios: 'undionly.kpxe',
  'efi-x64': 'ipxe.efi',
  'efi-x64-http': 'ipxe.efi',
};

/** The URL of a host's iPXE boot script. */
export function bootScriptUrl(server: BootServer, client: Pick<PxeClient, 'mac' | 'arch' | 'uuid' | 'hostname'>): string {
  const q = new URLSearchParams({ mac: client.mac, arch: client.arch });
  if (client.uuid) q.set('uuid', client.uuid);
  if (client.hostname) q.set('hostname', client.hostname);
  return `http://${hostPort(server)}/boot.ipxe?${q.toString()}`;
}

/**
 * Decides the boot file for a client, or undefined when there is none for its arch. `secureBoot`:
 * its image boots through the signed chain (shim → GRUB), which x64 UEFI PXE firmware gets
 * instead of iPXE.
 */
export function bootFileFor(client: PxeClient, server: BootServer, secureBoot = false): BootFile | undefined {
  if (client.ipxe) return { file: bootScriptUrl(server, client), vendorClass: 'PXEClient' };
  if (secureBoot && client.arch === 'efi-x64') return { file: SIGNED_BOOT_FILE, vendorClass: 'PXEClient' };
  if (client.arch === 'efi-arm64') return { file: ARM64_BOOT_FILE, vendorClass: 'PXEClient' };
  if (client.arch === 'efi-arm64-http') return { file: `http://${hostPort(server)}/${ARM64_BOOT_FILE}`, vendorClass: 'HTTPClient' };
  const binary = IPXE_BINARIES[client.arch];
  if (!binary) return undefined;
  if (isHttpBootArch(client.arch)) return { file: `http://${hostPort(server)}/ipxe/${binary}`, vendorClass: 'HTTPClient' };
  return { file: `ipxe/${binary}`, vendorClass: 'PXEClient' };
}

function hostPort(server: BootServer): string {
  return server.httpPort === 80 ? server.address : `${server.address}:${server.httpPort}`;
}
