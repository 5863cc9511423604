// `pxevirt vnc NAME` (virtctl vnc): a local TCP proxy to the VMI's VNC websocket, one
// websocket per TCP client; with --proxy-only it prints {"port":N} and waits, otherwise it
// starts remote-viewer or vncviewer on it. `pxevirt vnc screenshot NAME -f FILE` saves a PNG.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { delimiter, join } from 'node:path';
import { UsageError } from '../client/cli-errors.ts';
import { openWebSocket, vmiSubresourcePath } from '../client/websocket.ts';
import type { Session } from './session.ts';

export interface VncOptions {
  proxyOnly?: boolean;
  /** Local port (default: any free one). */
  port?: number;
  /** Local address (default 127.0.0.1); only with proxyOnly, like virtctl. */
  address?: string;
  /** Ends the proxy (signals). */
  signal?: AbortSignal;
  /** Finds a program on PATH (tests inject one). */
  which?: (program: string) => string | undefined;
}

/** Raised when no VNC viewer is installed. */
export class NoVncViewerError extends Error {
  constructor(readonly port: number) {
    super(
      'no VNC viewer found: install remote-viewer (Debian package virt-viewer) or vncviewer (Debian package tigervnc-viewer), ' +
        `or run with --proxy-only and point a viewer at the port it prints`,
    );
    this.name = 'NoVncViewerError';
  }
}

/** The first executable called `program` on PATH. */
export function whichOnPath(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The viewer command for a local port: remote-viewer, else vncviewer (TigerVNC's HOST::PORT). */
export function viewerCommand(port: number, which: (p: string) => string | undefined): { file: string; args: string[] } | undefined {
  const remote = which('remote-viewer');
  if (remote) return { file: remote, args: [`vnc://127.0.0.1:${port}`] };
  const vnc = which('vncviewer');
  if (vnc) return { file: vnc, args: [`127.0.0.1::${port}`] };
  return undefined;
}

/** Checks the VMI exists and runs, so mistakes show before anything listens. */
async function requireRunning(session: Session, name: string): Promise<void> {
  const vmi = await session.client.request<{ status?: { phase?: string } }>({
    path: `/apis/kubevirt.io/v1/namespaces/${encodeURIComponent(session.namespace)}/virtualmachineinstances/${encodeURIComponent(name)}`,
  });
  const phase = vmi.status?.phase ?? '';
  if (phase !== 'Running') throw new UsageError(`VMI ${name} is not running (phase ${JSON.stringify(phase)})`);
}

/** Joins one TCP client to a new VNC websocket. */
function proxy(session: Session, name: string, conn: Socket): void {
  conn.pause();
  conn.on('error', () => undefined);
  openWebSocket(session.access, vmiSubresourcePath(session.namespace, name, 'vnc')).then(
    (ws) => {
      ws.on('message', (data, isBinary) => {
        if (isBinary) conn.write(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
      });
      ws.on('close', () => conn.destroy());
      ws.on('error', () => conn.destroy());
      conn.on('data', (bytes: Buffer) => {
        if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
      });
      conn.on('close', () => ws.close(1000));
      conn.resume();
      ws.resume();
    },
    (err: unknown) => {
      session.io.err(`error: cannot open the VNC connection of VMI ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      conn.destroy();
    },
  );
}

function listen(server: Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Runs the proxy (and the viewer) until the signal, or until the viewer exits. */
export async function vncVerb(session: Session, name: string, options: VncOptions = {}): Promise<void> {
  if (options.address !== undefined && !options.proxyOnly) throw new UsageError('--address can only be used together with --proxy-only');
  const which = options.which ?? ((p: string) => whichOnPath(p));
  if (!options.proxyOnly && !viewerCommand(0, which)) throw new NoVncViewerError(0);
  await requireRunning(session, name);
  const connections = new Set<Socket>();
  const server = createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    proxy(session, name, conn);
  });
  try {
    const port = await listen(server, options.port ?? 0, options.address ?? '127.0.0.1');
    if (options.proxyOnly) {
      session.io.out(`${JSON.stringify({ port })}\n`);
      await new Promise<void>((resolve) => {
        if (options.signal?.aborted) resolve();
        options.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      return;
    }
    const viewer = viewerCommand(port, which);
    if (!viewer) throw new NoVncViewerError(port);
    const child = spawn(viewer.file, viewer.args, { stdio: 'ignore' });
    const onAbort = () => child.kill('SIGTERM');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () => resolve());
    });
    options.signal?.removeEventListener('abort', onAbort);
  } finally {
    for (const c of connections) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Saves the VMI's screen as a PNG file. */
export async function vncScreenshot(session: Session, name: string, file: string): Promise<void> {
  if (!file) throw new UsageError('--file (-f) is required: where to write the PNG');
  const png = await session.client.requestBytes({ path: vmiSubresourcePath(session.namespace, name, 'vnc/screenshot'), accept: 'image/png' });
  await writeFile(file, png);
}
