// Keeps a UDP socket on one interface (SO_BINDTOIFINDEX): it sees only packets that
// arrived there, and its broadcasts leave there even without a route.
import type { Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const SOL_SOCKET = 1;
const SO_BINDTOIFINDEX = 62;

type SetSockOpt = (socket: Socket, level: number, option: number, value: number) => void;
const { setsockopt } = createRequire(import.meta.url)('sockopt') as { setsockopt: SetSockOpt };

/** The interface is absent (no /sys/class/net/NAME/ifindex in this namespace). */
export class InterfaceMissingError extends Error {
  readonly interfaceName: string;
  constructor(interfaceName: string, cause: unknown) {
    super(`expected interface ${interfaceName} in this network namespace, found none`, { cause });
    this.name = 'InterfaceMissingError';
    this.interfaceName = interfaceName;
  }
}

/** Reads an interface's index from sysfs (as seen from the current network namespace). */
export function interfaceIndex(name: string): number {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch (err) {
    throw new InterfaceMissingError(name, err);
  }
}

/** Binds an already bound socket to one interface by index. */
export function bindToInterface(socket: Socket, ifindex: number): void {
  setsockopt(socket, SOL_SOCKET, SO_BINDTOIFINDEX, ifindex);
}
