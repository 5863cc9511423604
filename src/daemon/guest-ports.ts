// The API's GuestPorts over the local runtime: a masquerade guest's port through a loopback
// forward added to its QEMU, a bridge guest's port at its address from the node network; one
// socat child per connection (runtime/guest-port.ts), its stderr kept (bounded) as the reason.
import { GuestPortError, type GuestConnection, type GuestPorts } from '../api/guest-access.ts';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { allowLowPortsArgv, createForwardCache, openGuestPort, HostForwardError, type GuestPortRoute } from '../runtime/guest-port.ts';
import { GuestNotRunningError, type LocalRuntime } from '../runtime/local-runtime.ts';

const run = promisify(execFile);

/** The most of a connector's stderr kept for the error message. */
const MAX_STDERR = 2048;

/** socat's complaint, shortened to its last line without the timestamp and pid prefix. */
export function connectorError(stderr: string): string {
  const line = stderr.trim().split('\n').at(-1) ?? '';
  return line.replace(/^\S+ \S+ socat\[\d+\] [A-Z] /, '') || 'the connection failed';
}

/** GuestPorts for the local runtime; `nodeNetns` is where the node network lives (bridge guests). */
export function localGuestPorts(runtime: Pick<LocalRuntime, 'execute' | 'observe'>, options: { nodeNetns?: string } = {}): GuestPorts {
  const forwards = createForwardCache();
  const lowPortsOpen = new Set<string>();
  return {
    async connect(uid, request) {
      const obs = runtime.observe(uid);
      if (!obs || obs.state !== 'running') {
        forwards.forget(uid);
        throw new GuestPortError('VMI is not running', true);
      }
      let route: GuestPortRoute;
      if (request.binding === 'masquerade') {
        const hmp = async (commandLine: string) => {
          // QEMU runs unprivileged: low ports in its pod must be open to it before the first forward.
          if (commandLine.startsWith('hostfwd_add') && !lowPortsOpen.has(obs.netns)) {
            const [cmd, ...args] = allowLowPortsArgv(obs.netns);
            await run(cmd ?? 'ip', args).catch((err: unknown) => {
              throw new GuestPortError(`cannot let QEMU bind low ports in ${obs.netns}: ${(err as { stderr?: string }).stderr?.trim() || String(err)}`, true, { cause: err });
            });
            lowPortsOpen.add(obs.netns);
            if (lowPortsOpen.size > 4096) lowPortsOpen.delete(lowPortsOpen.values().next().value as string);
          }
          return String(await runtime.execute(uid, 'human-monitor-command', { 'command-line': commandLine }));
        };
        try {
          await forwards.ensure(uid, hmp, request.protocol, request.port);
        } catch (err) {
          if (err instanceof HostForwardError) throw new GuestPortError(err.message, false, { cause: err });
          if (err instanceof GuestNotRunningError) throw new GuestPortError('VMI is not running', true, { cause: err });
          throw err;
        }
        route = { binding: 'masquerade', podNetns: obs.netns };
      } else {
        route = { binding: 'bridge', guestAddress: request.guestAddress ?? '', ...(options.nodeNetns ? { nodeNetns: options.nodeNetns } : {}) };
      }
      const child = openGuestPort(route, request.protocol, request.port);
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        if (stderr.length < MAX_STDERR) stderr += b.toString('utf8').slice(0, MAX_STDERR - stderr.length);
      });
      child.stdin.on('error', () => undefined);
      let closedByUs = false;
      const ended = new Promise<string | undefined>((resolve) => {
        child.once('error', (err) => resolve(`cannot run socat: ${err.message}`));
        child.once('close', (code) => resolve(code === 0 || closedByUs ? undefined : connectorError(stderr)));
      });
      const conn: GuestConnection = {
        write: (bytes) => void child.stdin.write(bytes),
        onData: (listener) => void child.stdout.on('data', listener),
        onEnd: (listener) => void ended.then(listener),
        close: () => {
          closedByUs = true;
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        },
      };
      return conn;
    },
  };
}
