// `pxevirt pxe serve`: DHCP, TFTP and HTTP on one interface, sharing one timeline,
// one set of transfers and one metrics registry.
import { stat } from 'node:fs/promises';
import type { Logger } from '../lib/logger.ts';
import { formatIpv4, parseCidr } from '../lib/ipv4.ts';
import type { PxeServerSpec } from '../resources/pxe-server.ts';
import { createPxeMetrics } from './metrics.ts';
import { Timeline } from './timeline.ts';
import { Transfers } from './transfers.ts';
import { startDhcp, type DhcpServer } from './dhcp/server.ts';
import { startTftp } from './tftp/server.ts';
import { startHttp, statusDocument } from './http/server.ts';
import { startStatusSocket } from './http/status-socket.ts';
import { startRouterAnswer } from './ndp/server.ts';
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
  const problem = interfaceProblem(state, spec.interface, spec.address);
  if (problem !== undefined || !state) throw new InterfaceNotReadyError(spec.interface, spec.address, state, problem ?? `no interface ${spec.interface}`);
  return state;
}

/** Starts every protocol the spec asks for; closes what started if one fails. */
export async function startPxeServer(options: PxeServeOptions): Promise<PxeServer> {
  const { spec, log } = options;
  const link = await checkInterface(spec);
  if (!link.carrier) log.info({ interface: spec.interface }, `no carrier yet on ${spec.interface}: serving, answers start when a guest's link comes up`);
  const rootStat = await stat(spec.root).catch(() => undefined);
  if (!rootStat?.isDirectory()) throw new Error(`expected root ${spec.root} to be a directory, found ${rootStat ? 'a file' : 'nothing'}`);

  const address = formatIpv4(parseCidr(spec.address)?.address ?? 0);
  const metrics = createPxeMetrics();
  const timeline = new Timeline(log, options.now ? { now: options.now } : {});
  const transfers = new Transfers(options.now);
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => log.error({ err }, 'close failed'));
  };
  try {
    let dhcp: DhcpServer | undefined;
    if (spec.dhcp.mode !== 'off') {
      dhcp = await startDhcp({ spec, stateDir: options.stateDir, log: log.child({ proto: 'dhcp' }), timeline, metrics, ...(options.now ? { now: options.now } : {}) });
      closers.push(() => dhcp!.close());
    }
    if (spec.ipv6.answerRouterSolicitations) {
      if (link.mac === undefined) log.warn({ interface: spec.interface }, 'no link-layer address: not answering router solicitations');
      else {
        const ra = startRouterAnswer({ interface: spec.interface, ifindex: link.index, mac: link.mac, ownAddresses: link.linkLocal6 ? [link.linkLocal6] : [], log: log.child({ proto: 'ndp' }), timeline });
        closers.push(() => ra.close());
      }
    }
    const tftp = await startTftp({
      roots: { root: spec.root, ipxeDir: spec.ipxeDir },
      address,
      port: spec.tftp.port,
      interface: spec.interface,
      log: log.child({ proto: 'tftp' }),
      timeline,
      metrics,
      transfers,
    });
    closers.push(() => tftp.close());
    const install = await InstallStore.open(options.stateDir, { log: log.child({ part: 'install' }), ...(options.now ? { now: options.now } : {}) });
    closers.push(() => install.flush().catch(() => undefined));
    // Table sizes under `dhcp` show a flood stays bounded; `leasesRecovered` says a bad lease file was moved aside.
    // `tftp`: transfers running, the caps, and the requests they refused or evicted.
    const extra = () => ({ leases: dhcp?.leases() ?? [], dhcp: { ...dhcp?.state(), timeline: timeline.sizes() }, tftp: tftp.stats() });
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
    });
    closers.push(() => http.close());
    if (options.statusSocket !== undefined) {
      const socket = await startStatusSocket({ path: options.statusSocket, status: () => statusDocument({ spec, timeline, transfers, status: extra, install }), reprovision: reprovisionVia(install, timeline), metrics, log });
      closers.push(() => socket.close());
    }
    await options.afterBind?.();
    log.info({ interface: spec.interface, address: spec.address, dhcpMode: spec.dhcp.mode, tftpPort: tftp.port, httpPort: http.port }, 'ready');
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
