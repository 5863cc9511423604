// The DHCP socket shell: UDP 67 and 4011 on one interface, decode → respond → persist →
// send. Every message is a timeline event and a metric; no input crashes it.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from '../../lib/logger.ts';
import type { PxeServerSpec } from '../../resources/pxe-server.ts';
import type { PxeMetrics } from '../metrics.ts';
import type { BootEventInput, Timeline } from '../timeline.ts';
import { bindToInterface, interfaceIndex } from './bind-interface.ts';
import { decode, DhcpDecodeError, encode } from './codec.ts';
import { LogRateLimit } from '../log-file.ts';
import { LeaseStore, type LeasesRecovered } from './lease-file.ts';
import type { LeaseInfo } from './leases.ts';
import { respond, type Arrival, type DhcpResponse } from './responder.ts';
import { macFromBytes } from '../../lib/mac.ts';
import { parseRelayAgentInfo, type RelayMemory } from '../relay-info.ts';
import { Opt } from './options.ts';

export interface DhcpServerOptions {
  spec: PxeServerSpec;
  stateDir: string;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  now?: () => number;
  /** Where option 82 IDs of relayed requests are kept per MAC (the boot script selects by them). */
  relayMemory?: RelayMemory;
  /** Ports to listen on, for tests; default 67 and 4011. */
  ports?: { dhcp: number; pxe: number };
}

export interface DhcpServer {
  close(): Promise<void>;
  leases(): LeaseInfo[];
  /** Table sizes and the start-up recovery, for /status. */
  state(): DhcpState;
}

/** The DHCP part of /status beside the lease list. */
export interface DhcpState {
  leaseTable: ReturnType<LeaseStore['sizes']>;
  leasesRecovered?: LeasesRecovered;
}

/** Socket buffers: a burst of requests waits in the kernel instead of being dropped there. */
const SOCKET_BUFFER_BYTES = 4 << 20;

/** Starts the DHCP server (full or proxy, per spec.dhcp.mode) on spec.interface. */
export async function startDhcp(options: DhcpServerOptions): Promise<DhcpServer> {
  const { spec, log, timeline, metrics } = options;
  const now = options.now ?? Date.now;
  const ports = options.ports ?? { dhcp: 67, pxe: 4011 };
  const store = await LeaseStore.open(options.stateDir, { now });
  if (store.recovered) log.error({ reason: store.recovered.reason, movedTo: store.recovered.movedTo }, store.recovered.message);
  const malformedLog = new LogRateLimit(10, now);
  const ifindex = interfaceIndex(spec.interface);
  const sockets: Socket[] = [];
  let closed = false;

  const handle = async (socket: Socket, arrivalPort: 67 | 4011, msg: Buffer, rinfo: RemoteInfo): Promise<void> => {
    let packet;
    try {
      packet = decode(msg);
    } catch (err) {
      const reason = err instanceof DhcpDecodeError ? err.message : String(err);
      const allowed = malformedLog.take();
      if (allowed.ok) log.warn({ from: `${rinfo.address}:${rinfo.port}`, port: arrivalPort, size: msg.length, reason, notLogged: allowed.dropped }, 'malformed DHCP packet');
      metrics.errors.inc({ proto: 'dhcp', kind: 'malformed' });
      metrics.dhcpMessages.inc({ direction: 'in', type: 'malformed' });
      return;
    }
    const arrival: Arrival = { port: arrivalPort, sourceAddress: rinfo.address, sourcePort: rinfo.port };
    const memory = options.relayMemory;
    if (memory && packet.hlen === 6) {
      // Only a relayed request's option 82 is the relay's word; an unrelayed one ends what was remembered.
      const agentInfo = packet.giaddr !== '0.0.0.0' ? packet.options.get(Opt.relayAgentInfo) : undefined;
      if (agentInfo) memory.record(macFromBytes(packet.chaddr), parseRelayAgentInfo(agentInfo));
      else if (memory.size > 0) memory.record(macFromBytes(packet.chaddr), {});
    }
    let response: DhcpResponse;
    try {
      response = respond(spec, store, packet, arrival, now());
    } catch (err) {
      log.error({ err, xid: packet.xid, from: `${rinfo.address}:${rinfo.port}` }, 'DHCP responder failed');
      metrics.errors.inc({ proto: 'dhcp', kind: 'internal' });
      return;
    }
    const durable = store.apply(response.changes);
    for (const e of response.events) if (e.direction !== 'out') record(e);
    if (!response.reply) return;
    if (durable) {
      try {
        await store.flush();
      } catch (err) {
        // Never promise a lease that is not on disk.
        log.error({ err, file: store.file }, 'cannot write the lease file; reply not sent');
        metrics.errors.inc({ proto: 'dhcp', kind: 'io' });
        return;
      }
    }
    if (closed) return;
    const { packet: reply, address, port } = response.reply;
    let bytes: Buffer;
    try {
      bytes = encode(reply);
    } catch (err) {
      log.error({ err, xid: packet.xid }, 'cannot encode DHCP reply');
      metrics.errors.inc({ proto: 'dhcp', kind: 'internal' });
      return;
    }
    // No callback: libuv then tries a synchronous send first, without a request object per
    // packet (the callback form was most of the 17% of a packet's time spent in dgram's send).
    // A failed send surfaces as the socket's 'error' event, logged there.
    socket.send(bytes, port, address);
    for (const e of response.events) if (e.direction === 'out') record(e);
  };

  const record = (e: DhcpResponse['events'][number]): void => {
    // Field by field rather than rest and conditional spreads (those were most of this function's time).
    const input: BootEventInput = { proto: 'dhcp', event: e.event, mac: e.mac, xid: e.xid };
    if (e.arch !== undefined) input.arch = e.arch;
    if (e.ipxe !== undefined) input.ipxe = e.ipxe;
    if (e.ip !== undefined) input.ip = e.ip;
    if (e.file !== undefined) input.file = e.file;
    if (e.reason !== undefined) input.reason = e.reason;
    if (e.direction === 'in' && e.event === 'dropped') input.type = e.type;
    timeline.record(input);
    if (e.direction !== 'note') metrics.dhcpMessages.inc({ direction: e.direction, type: e.type });
    // Only addresses this server gave out name a MAC: a requested address is the client's word.
    if (e.ip !== undefined && e.direction === 'out' && e.event !== 'nak') timeline.noteAddress(e.mac, e.ip);
  };

  const open = (port: number, arrivalPort: 67 | 4011): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = createSocket({ type: 'udp4', reuseAddr: true });
      const onError = (err: Error) => reject(new Error(`cannot listen for DHCP on 0.0.0.0:${port} (${spec.interface}): ${err.message}`, { cause: err }));
      socket.once('error', onError);
      socket.bind(port, '0.0.0.0', () => {
        socket.off('error', onError);
        try {
          socket.setBroadcast(true);
          bindToInterface(socket, ifindex);
          socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
          socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
        } catch (err) {
          socket.close();
          reject(err);
          return;
        }
        socket.on('error', (err) => {
          log.warn({ err, port }, 'DHCP socket error');
          metrics.errors.inc({ proto: 'dhcp', kind: 'io' });
        });
        socket.on('message', (msg, rinfo) => {
          handle(socket, arrivalPort, msg, rinfo).catch((err: unknown) => log.error({ err }, 'DHCP handler failed'));
        });
        resolve(socket);
      });
    });

  try {
    sockets.push(await open(ports.dhcp, 67));
    sockets.push(await open(ports.pxe, 4011));
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
  log.info({ interface: spec.interface, mode: spec.dhcp.mode, leaseFile: store.file, leases: [...store.all()].length }, 'DHCP listening');

  return {
    leases: () => store.list(now()),
    state: () => ({ leaseTable: store.sizes(), ...(store.recovered ? { leasesRecovered: store.recovered } : {}) }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      await store.flush().catch((err: unknown) => log.error({ err, file: store.file }, 'cannot write the lease file'));
    },
  };
}
