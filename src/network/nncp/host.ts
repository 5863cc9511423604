// The real NetworkHost: iproute2 in this process's network namespace (or `-n NETNS`), and
// ping for the connectivity probe.
import { execFile } from 'node:child_process';
import { HostCommandError, type NetworkHost } from './apply.ts';
import { parseHostState } from './host-state.ts';

export interface IprouteHostOptions {
  /** Act on this named network namespace instead of the process's own (tests). */
  netns?: string;
  /** Ping attempts before the gateway counts as lost (default 3, one second each). */
  pingAttempts?: number;
}

function exec(argv: string[]): Promise<string> {
  const [cmd = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new HostCommandError(argv, stderr.trim() || err.message, { cause: err }));
      else resolve(stdout);
    });
  });
}

/** A NetworkHost that runs `ip`, `bridge` and `ping`. */
export function createIprouteHost(options: IprouteHostOptions = {}): NetworkHost {
  const ns = options.netns;
  const scoped = (argv: string[]): string[] => {
    const [cmd = '', ...rest] = argv;
    if (ns === undefined) return argv;
    return cmd === 'ip' || cmd === 'bridge' ? [cmd, '-n', ns, ...rest] : ['ip', 'netns', 'exec', ns, ...argv];
  };
  const attempts = options.pingAttempts ?? 3;
  return {
    read: async () => {
      const [links, addrs, routes] = await Promise.all([
        exec(scoped(['ip', '-j', '-d', 'link', 'show'])),
        exec(scoped(['ip', '-j', '-4', 'addr', 'show'])),
        exec(scoped(['ip', '-j', '-4', 'route', 'show', 'default'])),
      ]);
      return parseHostState(links, addrs, routes);
    },
    run: async (argv) => {
      await exec(scoped(argv));
    },
    ping: async (gateway) => {
      // A cached neighbour entry hides a path that no longer works: resolve the MAC afresh.
      await exec(scoped(['ip', 'neigh', 'flush', 'to', gateway])).catch(() => undefined);
      for (let i = 0; i < attempts; i++) {
        if (await exec(scoped(['ping', '-n', '-q', '-c', '1', '-W', '1', gateway])).then(() => true, () => false)) return true;
      }
      return false;
    },
  };
}
