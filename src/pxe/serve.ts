// `pxevirt pxe serve`: DHCP, TFTP and HTTP on one interface, sharing one timeline,
// one set of transfers and one metrics registry.
import { stat } from 'node:fs/promises';
import type { Logger } from '../lib/logger.ts';
import { formatIpv4, parseCidr } from '../lib/ipv4.ts';
import type { PxeServerSpec, PxeVm } from '../resources/pxe-server.ts';
import { createPxeMetrics } from './metrics.ts';
import { Timeline } from './timeline.ts';
import { Transfers } from './transfers.ts';
import { RelayMemory } from './relay-info.ts';
import { grubConfigArch, grubConfigFor, isGrubConfigName } from './grub-config.ts';
import { startDhcp, type DhcpServer } from './dhcp/server.ts';
import { startTftp } from './tftp/server.ts';
import { startHttp, statusDocument } from './http/server.ts';
import { startStatusSocket } from './http/status-socket.ts';
import { startRouterAnswer } from './ndp/server.ts';
import { routerAdvertisement } from './ndp/packets.ts';
import { startDhcp6, type Dhcp6Server } from './dhcp6/server.ts';
import { formatIpv6, ipv6Bytes, network6, parseCidr6 } from '../lib/ipv6.ts';
import { InstallStore } from './install-store.ts';
import { interfaceProblem, readLinkState, type LinkState } from './link-state.ts';

/** The interface is missing or lacks the configured address; `pxe serve` never adds it. */
export class InterfaceNotReadyError extends Error {
  readonly interfaceName: string;
  readonly address: string;
  readonly found: readonly string[];
  constructor(interfaceName: string, address: string, state: LinkState | undefined, problem: string) {
    super(
      `expected ${address} on interface ${interfaceName}, found ${problem}; pxevirt pxe serve never changes the host's network: ` +
        (state ? `add it first (ip addr add ${address} dev ${interfaceName})` : `create ${interfaceName} and add ${address} to it first`),
    );
    this.name = 'InterfaceNotReadyError';
    this.interfaceName = interfaceName;
    this.address = address;
    this.found = state?.ipv4 ?? [];
  }
}

export interface PxeServeOptions {
  spec: PxeServerSpec;
  /** Where leases are kept across restarts. */
  stateDir: string;
  log: Logger;
  now?: () => number;
  /** Also serve /status and /metrics on this unix socket (for a supervisor in another netns). */
  statusSocket?: string;
  /**
   * Runs once every socket is bound and every file the server keeps open is open, before
   * `ready` is logged: where `pxe serve` drops root (src/cli/pxe-serve.ts).
   */
  afterBind?: () => Promise<void>;
}

export interface PxeServer {
  readonly timeline: Timeline;
  readonly transfers: Transfers;
  readonly tftpPort: number;
  readonly httpPort: number;
  readonly install: InstallStore;
  close(): Promise<void>;
}

/**
 * Checks that the spec's address is already on its interface, reading the kernel's state
 * whatever the carrier: a bridge whose guests are not running yet (NO-CARRIER) is ready to
 * serve, and sockets bound to it keep working when the carrier comes and goes.
 */
export async function checkInterface(spec: PxeServerSpec, read: (name: string) => Promise<LinkState | undefined> = readLinkState): Promise<LinkState> {
  const state = await read(spec.interface);
  for (const address of [spec.address, spec.ipv6.address]) {
    if (address === undefined) continue;
    const problem = interfaceProblem(state, spec.interface, address);
    if (problem !== undefined || !state) throw new InterfaceNotReadyError(spec.interface, address, state, problem ?? `no interface ${spec.interface}`);
  }
  if (!state) throw new InterfaceNotReadyError(spec.interface, '', state, `no interface ${spec.interface}`);
  return state;
}

/** Starts every protocol the spec asks for; closes what started if one fails. */
export async function startPxeServer(options: PxeServeOptions): Promise<PxeServer> {
  const { spec, log } = options;
  const link = await checkInterface(spec);
  if (!link.carrier) log.info({ interface: spec.interface }, `no carrier yet on ${spec.interface}: serving, answers start when a guest's link comes up`);
  const rootStat = await stat(spec.root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new Error(`expected root ${spec.root} to be a directory, found ${rootStat ? 'a file' : 'nothing'}`);

  // One TFTP and one HTTP server per address family the spec gives (each bound to its address).
  const v4 = spec.address === undefined ? undefined : formatIpv4(parseCidr(spec.address)?.address ?? 0);
  const v6cidr = spec.ipv6.address === undefined ? undefined : parseCidr6(spec.ipv6.address);
  const v6 = v6cidr === undefined ? undefined : formatIpv6(v6cidr.address);
  const addresses = [v4, v6].filter((a): a is string => a !== undefined);
  const metrics = createPxeMetrics();
  const timeline = new Timeline(log, options.now ? { now: options.now } : {});
  const transfers = new Transfers(options.now);
  const relayMemory = new RelayMemory();
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.error({ err }, 'close failed'));
  };
  try {
    let dhcp: DhcpServer | undefined;
    if (spec.dhcp.mode !== 'off') {
      dhcp = await startDhcp({ spec, relayMemory, stateDir: options.stateDir, log: log.child({ proto: 'dhcp' }), timeline, metrics, ...(options.now ? { now: options.now } : {}) });
      closers.push(() => dhcp!.close());
    }
    if (spec.ipv6.answerRouterSolicitations) {
      if (link.mac === undefined) log.warn({ interface: spec.interface }, 'no link-layer address: not answering router solicitations');
      else {
        const advertisement = advertisementFor(spec, link.mac);
        const ra = startRouterAnswer({ interface: spec.interface, ifindex: link.index, mac: link.mac, advertisement, ownAddresses: link.linkLocal6 ? [link.linkLocal6] : [], log: log.child({ proto: 'ndp' }), timeline });
        closers.push(() => ra.close());
      }
    }
    const tftps = [];
    for (const address of addresses) {
      const tftp = await startTftp({
        roots: { root: spec.root, ipxeDir: spec.ipxeDir },
        address,
        port: spec.tftp.port,
        interface: spec.interface,
        log: log.child({ proto: 'tftp' }),
        timeline,
        metrics,
        transfers,
        generated: (file, ip) => {
          if (!isGrubConfigName(file)) return undefined;
          const mac = timeline.macForIp(ip);
          const host = address.includes(':') ? `[${address}]` : address;
          const answer = grubConfigFor(spec, { mac, ip, relay: mac === undefined ? undefined : relayMemory.get(mac), arch: grubConfigArch(file) }, `http://${host}:${spec.http.port}`);
          timeline.record({ proto: 'tftp', event: 'grub-config', ip, file, ...(answer.image === undefined ? {} : { image: answer.image }), reason: answer.reason });
          return Buffer.from(answer.text);
        },
      });
      closers.push(() => tftp.close());
      tftps.push(tftp);
    }
    const tftp = tftps[0]!;
    const install = await InstallStore.open(options.stateDir, { log: log.child({ part: 'install' }), ...(options.now ? { now: options.now } : {}) });
    closers.push(() => install.flush().catch(() => undefined));
    let dhcp6: Dhcp6Server | undefined;
    // Table sizes under `dhcp` show a flood stays bounded; `leasesRecovered` says a bad lease file was moved aside.
    // `tftp`: transfers running, the caps, and the requests they refused or evicted.
    const extra = () => ({ leases: dhcp?.leases() ?? [], dhcp: { ...dhcp?.state(), timeline: timeline.sizes() }, tftp: tftp.stats(), ...(dhcp6 ? { dhcp6: { leases: dhcp6.leases() } } : {}) });
    const https = [];
    for (const address of addresses) {
      const http = await startHttp({
        spec,
        address,
        port: spec.http.port,
        log: log.child({ proto: 'http' }),
        timeline,
        metrics,
        transfers,
        status: extra,
        install,
        relayMemory,
      });
      closers.push(() => http.close());
      https.push(http);
    }
    const http = https[0]!;
    if (spec.ipv6.dhcp.mode !== 'off' && link.mac !== undefined) {
      const d6 = await startDhcp6({ spec, mac: link.mac, httpPort: https.at(-1)!.port, tftpPort: tftps.at(-1)!.port, log: log.child({ proto: 'dhcp6' }), timeline, metrics, ...(options.now ? { now: options.now } : {}) });
      dhcp6 = d6;
      closers.push(() => d6.close());
    }
    if (options.statusSocket !== undefined) {
      const socket = await startStatusSocket({ path: options.statusSocket, status: () => statusDocument({ spec, timeline, transfers, status: extra, install }), reprovision: reprovisionVia(install, timeline), replaceVms: replaceVmsOf(spec, log), metrics, log });
      closers.push(() => socket.close());
    }
    await options.afterBind?.();
    log.info({ interface: spec.interface, address: spec.address, ipv6: spec.ipv6.address, dhcpMode: spec.dhcp.mode, dhcp6Mode: spec.ipv6.dhcp.mode, tftpPort: tftp.port, httpPort: http.port }, 'ready');
    return { timeline, transfers, install, tftpPort: tftp.port, httpPort: http.port, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Sends a host back to install and puts that on its timeline (the status socket's POST /reprovision). */
export function reprovisionVia(install: InstallStore, timeline: Timeline) {
  return async (mac: string, provisionedBefore?: string): Promise<boolean> => {
    const changed = install.reprovision(mac, provisionedBefore);
    await install.flush();
    if (changed) timeline.record({ proto: 'http', event: 'reprovision', mac, reason: 'sent back to install: the next boot installs again' });
    return changed;
  };
}

/**
 * The advertisement this server answers solicitations with: empty without ipv6.address; with
 * it, the on-link prefix and the DHCPv6 flags (stateful M+O, addresses not by SLAAC;
 * stateless O with SLAAC; off: the prefix only). Router lifetime stays 0 either way.
 */
export function advertisementFor(spec: PxeServerSpec, mac: string): Buffer {
  const cidr = spec.ipv6.address === undefined ? undefined : parseCidr6(spec.ipv6.address);
  if (!cidr) return routerAdvertisement({ mac });
  const mode = spec.ipv6.dhcp.mode;
  const lifetime = 86_400;
  return routerAdvertisement({
    mac,
    managed: mode === 'stateful',
    other: mode !== 'off',
    prefix: { network: ipv6Bytes(network6(cidr)), length: cidr.prefix, autonomous: mode === 'stateless' && cidr.prefix === 64, validSeconds: lifetime, preferredSeconds: lifetime },
  });
}

/**
 * Replaces the VM inventory host selectors choose from (the status socket's PUT /vms). `vms`
 * is the one part of the spec that changes while serving: the PXEServer controller keeps it
 * current as VMs come, go and change labels, without restarting the server.
 */
export function replaceVmsOf(spec: PxeServerSpec, log: Logger) {
  return (vms: PxeVm[]): void => {
    spec.vms = vms;
    log.info({ vms: vms.length }, 'VM inventory replaced');
  };
}
