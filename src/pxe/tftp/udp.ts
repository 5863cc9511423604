// The UDP side of the TFTP server: sockets bound and connected without DNS lookups, UDP
// segmentation offload for windows, and the blksize an interface's MTU allows.
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

type SetSockOpt = (socket: Socket, level: number, option: number, value: number) => void;
const { setsockopt } = createRequire(import.meta.url)('sockopt') as { setsockopt: SetSockOpt };
const SOL_UDP = 17;
const UDP_SEGMENT = 103;
/** What one UDP send may carry (kernel limit 64 segments, under 64 KiB in all). */
export const GSO_MAX_BYTES = 65000;
export const GSO_MAX_SEGMENTS = 64;
/**
 * The option cuts every send on the socket into segments, the OACK and the last ERROR too: with
 * blocks smaller than those (up to 512 bytes, RFC 2347) a client would get them in pieces.
 */
export const GSO_MIN_SEGMENT = 512 + 4;

/**
 * Turns on UDP segmentation offload (Linux ≥ 4.18) for DATA packets of `segment` bytes, so a
 * whole window leaves in one send; false when the kernel refuses it.
 */
export function enableGso(socket: Socket, segment: number): boolean {
  if (segment * 2 > GSO_MAX_BYTES || segment < GSO_MIN_SEGMENT) return false;
  try {
    setsockopt(socket, SOL_UDP, UDP_SEGMENT, segment);
    return true;
  } catch {
    return false;
  }
}

/** IP (IPv4 20, IPv6 40), UDP and TFTP headers: what an MTU leaves for a block (1500 → 1468 or 1448). */
const headerBytes = (family: 4 | 6) => (family === 6 ? 40 : 20) + 8 + 4;

/** The largest blksize an interface's MTU allows over IPv4 or IPv6, or undefined when it cannot be read. */
export async function blksizeForInterface(name: string, family: 4 | 6 = 4): Promise<number | undefined> {
  const text = await readFile(`/sys/class/net/${name}/mtu`, 'utf8').catch(() => undefined);
  const mtu = text === undefined ? NaN : Number(text.trim());
  const header = headerBytes(family);
  return Number.isInteger(mtu) && mtu > header ? Math.min(65464, Math.max(8, mtu - header)) : undefined;
}

/** The interface holding an IPv4 or IPv6 address, when it is up. */
export function interfaceOf(address: string): string | undefined {
  for (const [name, list] of Object.entries(networkInterfaces())) {
    if (list?.some((a) => a.address === address)) return name;
  }
  return undefined;
}

/** 6 for an IPv6 literal, else 4. */
export const familyOf = (address: string): 4 | 6 => (isIPv6(address) ? 6 : 4);

/** Addresses are always literals: answer at once instead of dns.lookup's extra tick per send. */
const literal = (address: string, _family: unknown, callback: (err: null, address: string, family: number) => void) => callback(null, address, familyOf(address));

/** A udp4 or udp6 socket (by the address's family) bound to address:port (0 picks one). */
export async function bindSocket(address: string, port: number): Promise<Socket> {
  const v6 = familyOf(address) === 6;
  const socket = createSocket({ type: v6 ? 'udp6' : 'udp4', ...(v6 ? { ipv6Only: true } : {}), lookup: literal as unknown as NonNullable<SocketOptions['lookup']> });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** Connects a transfer's socket to its client (the kernel then filters by TID and reports ICMP errors). */
export function connectSocket(socket: Socket, peer: { address: string; port: number }): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(peer.port, peer.address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
