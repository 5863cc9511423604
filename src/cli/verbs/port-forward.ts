// `pxevirt port-forward TYPE/NAME[.NS] [LOCAL:]REMOTE[/udp]…` (virtctl port-forward): local
// TCP listeners (or UDP sockets) whose every connection (UDP: every peer) is one websocket to
// the VMI's portforward/{port}/{protocol}; `--stdio` joins stdin/stdout to one connection
// instead, which is what `ssh -o ProxyCommand=…` needs. vm/NAME reaches the VM's VMI.
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { ApiStatusError } from '../client/cli-errors.ts';
import { openWebSocket, vmiSubresourcePath } from '../client/websocket.ts';
import type { Session } from './session.ts';

/** A VMI (or VM) named on the command line: `vmi/NAME`, `vm/NAME.NAMESPACE`, a bare NAME is a VMI. */
export interface GuestTarget {
  kind: 'vm' | 'vmi';
  name: string;
  namespace?: string;
}

export interface PortSpec {
  local: number;
  remote: number;
  protocol: 'tcp' | 'udp';
}

/** Parses `vmi/NAME`, `vm/NAME`, `virtualmachineinstance/NAME`, with an optional `.NAMESPACE`. */
export function parseTarget(text: string): GuestTarget {
  const slash = text.indexOf('/');
  const type = slash < 0 ? 'vmi' : text.slice(0, slash).toLowerCase();
  const rest = slash < 0 ? text : text.slice(slash + 1);
  const kind = ['vmi', 'vmis', 'virtualmachineinstance', 'virtualmachineinstances'].includes(type) ? 'vmi' : ['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(type) ? 'vm' : undefined;
  const dot = rest.indexOf('.');
  const name = dot < 0 ? rest : rest.slice(0, dot);
  const namespace = dot < 0 ? undefined : rest.slice(dot + 1);
  if (kind === undefined || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || namespace === '') {
    throw new Error(`expected TYPE/NAME[.NAMESPACE] with TYPE vmi or vm, found ${JSON.stringify(text)}`);
  }
  return { kind, name, ...(namespace !== undefined ? { namespace } : {}) };
}

/** Parses `REMOTE`, `LOCAL:REMOTE`, each optionally `/tcp` or `/udp` (virtctl's forms). */
export function parsePortSpec(text: string): PortSpec {
  const m = /^(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/i.exec(text);
  const local = Number(m?.[1] ?? m?.[2]);
  const remote = Number(m?.[2]);
  if (!m || !(remote >= 1 && remote <= 65535) || !(local >= 0 && local <= 65535)) {
    throw new Error(`expected a port spec [LOCAL:]REMOTE[/tcp|/udp] with ports from 1 to 65535 (LOCAL 0: any free port), found ${JSON.stringify(text)}`);
  }
  return { local, remote, protocol: (m[3]?.toLowerCase() ?? 'tcp') as 'tcp' | 'udp' };
}

/** The tunnel ended with an error the server gave in its close frame. */
export class TunnelClosedError extends Error {
  constructor(
    readonly target: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`port-forward to ${target} was closed (${code}${reason ? `: ${reason}` : ''})`);
    this.name = 'TunnelClosedError';
  }
}

const targetText = (t: GuestTarget) => `${t.kind}/${t.name}`;

/** Opens one tunnel (a websocket) to the guest's port; a missing VMI of a VM says the VM is not running. */
export async function openTunnel(session: Session, target: GuestTarget, port: number, protocol: 'tcp' | 'udp'): Promise<WebSocket> {
  const namespace = target.namespace ?? session.namespace;
  const path = `${vmiSubresourcePath(namespace, target.name, 'portforward')}/${port}/${protocol}`;
  try {
    return await openWebSocket(session.access, path);
  } catch (err) {
    if (target.kind === 'vm' && err instanceof ApiStatusError && err.httpCode === 404) throw new Error(`VM ${target.name} is not running (it has no VirtualMachineInstance)`, { cause: err });
    throw err;
  }
}

const bytesOf = (data: unknown): Buffer => (Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(data as ArrayBuffer));

/** Joins a local TCP connection to a new tunnel; errors are reported through `report`. */
function joinTcp(session: Session, target: GuestTarget, spec: PortSpec, socket: Socket, report: (text: string) => void): void {
  socket.pause();
  socket.on('error', () => socket.destroy());
  openTunnel(session, target, spec.remote, 'tcp').then(
    (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) socket.write(bytesOf(data));
      });
      ws.on('close', (code, reason) => {
        if (code !== 1000 && code !== 1005) report(`${new TunnelClosedError(targetText(target), code, reason.toString()).message}\n`);
        socket.end();
      });
      ws.on('error', () => socket.destroy());
      socket.on('data', (bytes: Buffer) => ws.send(bytes, { binary: true }));
      socket.on('close', () => ws.close(1000));
      ws.resume();
      socket.resume();
    },
    (err: unknown) => {
      report(`error: ${err instanceof Error ? err.message : String(err)}\n`);
      socket.destroy();
    },
  );
}

/** One UDP socket: each peer gets its own tunnel; datagrams map to websocket messages one to one. */
function udpForwarder(session: Session, target: GuestTarget, spec: PortSpec, address: string, report: (text: string) => void) {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  const peers = new Map<string, Promise<WebSocket | undefined>>();
  socket.on('message', (msg: Buffer, from: RemoteInfo) => {
    const key = `${from.address}:${from.port}`;
    let ws = peers.get(key);
    if (!ws) {
      ws = openTunnel(session, target, spec.remote, 'udp').then(
        (w) => {
          w.on('message', (data) => socket.send(bytesOf(data), from.port, from.address));
          w.on('close', () => peers.delete(key));
          w.resume();
          return w;
        },
        (err: unknown) => {
          peers.delete(key);
          report(`error: ${err instanceof Error ? err.message : String(err)}\n`);
          return undefined;
        },
      );
      peers.set(key, ws);
    }
    void ws.then((w) => w?.send(msg, { binary: true }));
  });
  return {
    socket,
    closeAll: async () => {
      for (const p of peers.values()) (await p)?.close(1000);
    },
  };
}

export interface PortForwardOptions {
  /** Listen address (default 127.0.0.1). */
  address?: string;
  signal?: AbortSignal;
  /** Called with the bound local ports once listening (tests). */
  onListening?: (ports: number[]) => void;
}

/** Listens for each spec until the signal; prints virtctl's "Forwarding from …" lines. */
export async function portForwardVerb(session: Session, target: GuestTarget, specs: readonly PortSpec[], options: PortForwardOptions = {}): Promise<void> {
  const address = options.address ?? '127.0.0.1';
  const report = (text: string) => session.io.err(text);
  const closers: Array<() => Promise<void> | void> = [];
  const bound: number[] = [];
  try {
    for (const spec of specs) {
      if (spec.protocol === 'tcp') {
        const server: Server = createServer((socket) => joinTcp(session, target, spec, socket, report));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(spec.local, address, () => resolve());
        });
        closers.push(() => void server.close());
        const port = (server.address() as { port: number }).port;
        bound.push(port);
        session.io.out(`Forwarding from ${address}:${port} -> ${spec.remote}\n`);
      } else {
        const udp = udpForwarder(session, target, spec, address, report);
        await new Promise<void>((resolve, reject) => {
          udp.socket.once('error', reject);
          udp.socket.bind(spec.local, address, () => resolve());
        });
        closers.push(async () => {
          await udp.closeAll();
          udp.socket.close();
        });
        const port = udp.socket.address().port;
        bound.push(port);
        session.io.out(`Forwarding from ${address}:${port} -> ${spec.remote}/udp\n`);
      }
    }
    options.onListening?.(bound);
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) return resolve();
      options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  } finally {
    for (const close of closers) await close();
  }
}

/** `--stdio`: one tunnel joined to `input`/`output` until either ends; a server-side error rejects. */
export async function portForwardStdio(session: Session, target: GuestTarget, spec: PortSpec, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; signal?: AbortSignal }): Promise<void> {
  const ws = await openTunnel(session, target, spec.remote, spec.protocol);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      io.input.off('data', onData);
      io.input.off('end', onEnd);
      io.input.pause();
      if (ws.readyState === ws.OPEN) ws.close(1000);
      if (err) reject(err);
      else resolve();
    };
    const onData = (chunk: Buffer | string) => ws.send(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, { binary: true });
    // stdin's end ends the tunnel once what was sent has gone (a websocket has no half-close).
    const onEnd = () => ws.close(1000);
    ws.on('message', (data, isBinary) => {
      if (isBinary) io.output.write(bytesOf(data));
    });
    ws.on('close', (code, reason) => (code === 1000 || code === 1005 ? finish() : finish(new TunnelClosedError(targetText(target), code, reason.toString()))));
    ws.on('error', (err) => finish(err));
    io.signal?.addEventListener('abort', () => finish(), { once: true });
    io.input.on('data', onData);
    io.input.on('end', onEnd);
    io.input.resume();
    ws.resume();
  });
}
