// The DHCPv6 socket shell: UDP 547 on one interface, joined to All_DHCP_Relay_Agents_and_Servers
// (ff02::1:2) there; decode → parse → respond → send to the client's link-local address.
// Malformed packets are counted and logged (rate-limited) and dropped; nothing crashes it.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../../lib/logger.ts';
import { parseCidr6, parseIpv6, parseRange6 } from '../../lib/ipv6.ts';
import type { PxeServerSpec } from '../../resources/pxe-server.ts';
import type { PxeMetrics } from '../metrics.ts';
import type { BootEventInput, Timeline } from '../timeline.ts';
import { LogRateLimit } from '../log-file.ts';
import { bindToInterface, interfaceIndex } from '../dhcp/bind-interface.ts';
import { decode, Dhcp6DecodeError, encode } from './codec.ts';
import { parseClient } from './client.ts';
import { Bindings6 } from './leases.ts';
import { respond6, typeName, type Dhcp6Config } from './responder.ts';

export const ALL_DHCP_SERVERS = 'ff02::1:2';

export interface Dhcp6ServerOptions {
  spec: PxeServerSpec;
  /** The interface's MAC: the server DUID is a DUID-LL made from it. */
  mac: string;
  httpPort: number;
  tftpPort: number;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  now?: () => number;
  /** Port to listen on, for tests; default 547. */
  port?: number;
}

export interface Dhcp6Server {
  readonly port: number;
  leases(): ReturnType<Bindings6['list']>;
  close(): Promise<void>;
}

/** A DUID-LL (RFC 8415 §11.4) for an Ethernet MAC. */
export function duidFromMac(mac: string): Buffer {
  return Buffer.concat([Buffer.from([0, 3, 0, 1]), Buffer.from(mac.split(':').map((h) => Number.parseInt(h, 16)))]);
}

/** Starts DHCPv6 (stateful or stateless per spec.ipv6.dhcp.mode) on spec.interface. */
export async function startDhcp6(options: Dhcp6ServerOptions): Promise<Dhcp6Server> {
  const { spec, log, timeline, metrics } = options;
  const now = options.now ?? Date.now;
  const mode = spec.ipv6.dhcp.mode;
  const server = parseCidr6(spec.ipv6.address ?? '');
  if (mode === 'off' || !server) throw new RangeError(`expected ipv6.address and ipv6.dhcp.mode stateful or stateless, found ${JSON.stringify(spec.ipv6)}`);
  const range = spec.ipv6.dhcp.range === undefined ? undefined : parseRange6(spec.ipv6.dhcp.range);
  const bindings = range ? new Bindings6(range) : undefined;
  const cfg: Dhcp6Config = {
    mode,
    serverDuid: duidFromMac(options.mac),
    server,
    httpPort: options.httpPort,
    tftpPort: options.tftpPort,
    leaseSeconds: spec.ipv6.dhcp.leaseSeconds,
    dns: (spec.ipv6.dhcp.dns ?? []).flatMap((d) => parseIpv6(d) ?? []),
  };
  const malformedLog = new LogRateLimit(10, now);
  const ifindex = interfaceIndex(spec.interface);
  let closed = false;

  const handle = (socket: Socket, bytes: Buffer, rinfo: RemoteInfo): void => {
    let client;
    try {
      client = parseClient(decode(bytes), rinfo.address);
    } catch (err) {
      const allowed = malformedLog.take();
      if (allowed.ok) log.warn({ from: rinfo.address, size: bytes.length, reason: err instanceof Dhcp6DecodeError ? err.message : String(err), notLogged: allowed.dropped }, 'malformed DHCPv6 packet');
      metrics.errors.inc({ proto: 'dhcp6', kind: 'malformed' });
      return;
    }
    const response = respond6(cfg, bindings, client, now());
    for (const e of response.events) {
      const input: BootEventInput = { proto: 'dhcp6', event: e.event, xid: e.xid };
      if (e.mac !== undefined) input.mac = e.mac;
      if (e.ip !== undefined) input.ip = e.ip;
      if (e.file !== undefined) input.file = e.file;
      if (e.arch !== undefined) input.arch = e.arch;
      if (e.ipxe !== undefined) input.ipxe = e.ipxe;
      if (e.reason !== undefined) input.reason = e.reason;
      if (e.direction === 'out' && e.event !== 'reply') input.to = rinfo.address;
      timeline.record(input);
      if (e.mac !== undefined) timeline.noteAddress(e.mac, rinfo.address.split('%')[0] ?? rinfo.address);
      if (e.direction === 'out' && e.ip !== undefined && e.mac !== undefined) timeline.noteAddress(e.mac, e.ip);
      if (e.event !== 'dropped') metrics.dhcpMessages.inc({ direction: e.direction, type: e.event });
    }
    if (!response.reply || closed) return;
    // Link-local sources need their scope to be sent back to.
    const to = rinfo.address.startsWith('fe80:') && !rinfo.address.includes('%') ? `${rinfo.address}%${spec.interface}` : rinfo.address;
    socket.send(encode(response.reply), rinfo.port, to, (err) => {
      if (err) log.warn({ err: err.message, to, type: typeName(response.reply!.type) }, 'DHCPv6 reply not sent');
    });
  };

  const socket = createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(new Error(`cannot listen for DHCPv6 on [::]:${options.port ?? 547} (${spec.interface}): ${err.message}`, { cause: err }));
    socket.once('error', onError);
    socket.bind(options.port ?? 547, '::', () => {
      socket.off('error', onError);
      try {
        bindToInterface(socket, ifindex);
        socket.addMembership(ALL_DHCP_SERVERS, `::%${spec.interface}`);
      } catch (err) {
        socket.close();
        reject(err as Error);
        return;
      }
      resolve();
    });
  });
  socket.on('error', (err) => {
    log.warn({ err }, 'DHCPv6 socket error');
    metrics.errors.inc({ proto: 'dhcp6', kind: 'io' });
  });
  socket.on('message', (msg, rinfo) => {
    try {
      handle(socket, msg, rinfo);
    } catch (err) {
      log.error({ err, from: rinfo.address }, 'DHCPv6 handler failed');
      metrics.errors.inc({ proto: 'dhcp6', kind: 'internal' });
    }
  });
  const port = socket.address().port;
  log.info({ interface: spec.interface, mode, range: spec.ipv6.dhcp.range, port }, 'DHCPv6 listening');
  return {
    port,
    leases: () => bindings?.list(now()) ?? [],
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
