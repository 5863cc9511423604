// An interface's state as the kernel has it, carrier or not. os.networkInterfaces() (libuv's
// getifaddrs filter) lists only interfaces that are up AND running, so a bridge whose only
// port is a tap of a guest not started yet (NO-CARRIER) looks absent there. `ip -j addr show
// dev NAME` reads the same netlink dump whatever the carrier, and iproute2 is already a
// dependency of pxevirt; see docs/decisions.md ("Interface state without carrier").
import { execFile } from 'node:child_process';
import { formatIpv6, parseIpv6 } from '../lib/ipv6.ts';

export interface LinkState {
  name: string;
  index: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Lower layer has a carrier (no NO-CARRIER flag). */
  carrier: boolean;
  /** IPv4 addresses as `a.b.c.d/prefix`. */
  ipv4: string[];
  /** Global IPv6 addresses as `addr/prefix` (tentative ones, still in duplicate address detection, left out). */
  ipv6: string[];
  /** The link-local IPv6 address, if any (for answering router solicitations). */
  linkLocal6?: string;
  mac?: string;
}

/** Runs `ip` and returns stdout, or undefined when the device does not exist. */
export type IpRunner = (args: string[]) => Promise<string | undefined>;

const runIp: IpRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: 5000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      if (/does not exist|Cannot find device/i.test(stderr)) return resolve(undefined);
      reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`, { cause: err }));
    });
  });

interface IpAddrJson {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  address?: string;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string; tentative?: boolean }>;
}

/** Parses `ip -j addr show dev NAME` output (pure). */
export function parseIpAddrJson(text: string, name: string): LinkState | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`expected JSON from ip -j addr show dev ${name}, found ${JSON.stringify(text.slice(0, 80))}`);
  }
  const entry = Array.isArray(doc) ? (doc as IpAddrJson[]).find((e) => e.ifname === name) : undefined;
  if (!entry) return undefined;
  const flags = entry.flags ?? [];
  const infos = entry.addr_info ?? [];
  const ll = infos.find((a) => a.family === 'inet6' && a.scope === 'link' && typeof a.local === 'string');
  return {
    name,
    index: entry.ifindex ?? 0,
    up: flags.includes('UP'),
    carrier: !flags.includes('NO-CARRIER'),
    ipv4: infos.filter((a) => a.family === 'inet' && typeof a.local === 'string').map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    ipv6: infos.filter((a) => a.family === 'inet6' && a.scope === 'global' && typeof a.local === 'string' && a.tentative !== true).map((a) => `${a.local}/${a.prefixlen ?? 128}`),
    ...(ll?.local === undefined ? {} : { linkLocal6: ll.local }),
    ...(entry.address === undefined ? {} : { mac: entry.address }),
  };
}

/** Reads one interface from the kernel, independent of carrier; undefined when it does not exist. */
export async function readLinkState(name: string, run: IpRunner = runIp): Promise<LinkState | undefined> {
  const text = await run(['-j', 'addr', 'show', 'dev', name]);
  return text === undefined ? undefined : parseIpAddrJson(text, name);
}

/** What the interface lacks for serving `address` (an IPv4 or IPv6 CIDR), in words; undefined when it is ready. */
export function interfaceProblem(state: LinkState | undefined, name: string, address: string): string | undefined {
  if (!state) return `no interface ${name}`;
  if (address.includes(':')) {
    const [addr, prefix] = address.split('/');
    const canonical = `${formatIpv6(parseIpv6(addr ?? '') ?? 0n)}/${prefix}`;
    if (!state.ipv6.some((a) => `${formatIpv6(parseIpv6(a.split('/')[0] ?? '') ?? 0n)}/${a.split('/')[1]}` === canonical)) {
      return `interface ${name} has ${state.ipv6.length ? state.ipv6.join(', ') : 'no usable global IPv6 address'} (an address still in duplicate address detection is not usable yet)`;
    }
  } else if (!state.ipv4.includes(address)) return `interface ${name} has ${state.ipv4.length ? state.ipv4.join(', ') : 'no IPv4 address'}`;
  if (!state.up) return `interface ${name} is down (ip link set ${name} up)`;
  return undefined;
}
