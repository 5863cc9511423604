// Registers virtctl's guest-access verbs on `pxevirt`: console, vnc (and vnc screenshot),
// and logs (the serial log); each action loads its implementation only when it runs.
import type { Command } from 'commander';
import type { GlobalOptions, Io, Session } from './verbs/session.ts';

const bare = (v: string | undefined) => (v === undefined ? undefined : v.replace(/^=/, ''));

/** Opens a session, runs `fn` with an AbortSignal that fires on SIGINT/SIGTERM/SIGHUP. */
async function run(opts: GlobalOptions, fn: (session: Session, signal: AbortSignal) => Promise<void>): Promise<void> {
  const { openSession, readProcessStdin } = await import('./verbs/session.ts');
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), readStdin: readProcessStdin };
  const ns = bare(opts.namespace);
  const kubeconfig = bare(opts.kubeconfig);
  const session = openSession({ ...(ns ? { namespace: ns } : {}), ...(kubeconfig ? { kubeconfig } : {}) }, io);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  try {
    await fn(session, ac.signal);
  } finally {
    for (const s of signals) process.off(s, onSignal);
    session.client.close();
  }
}

function withGlobals(cmd: Command): Command {
  return cmd
    .option('-n, --namespace <namespace>', 'the namespace (default: the kubeconfig context\'s, else "default")')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else the data dir\'s)');
}

function intOption(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(bare(value));
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer of at least ${min}, found ${JSON.stringify(value)}`);
  return n;
}

/** Adds console, vnc and logs to `program`. */
export function registerGuestCommands(program: Command): void {
  withGlobals(program.command('console').description('connect to a VMI\'s serial console (virtctl console); Ctrl+] leaves'))
    .argument('<name>', 'the VMI')
    .option('--timeout <minutes>', 'minutes to wait for the VMI to run', '5')
    .action(async (name: string, opts: GlobalOptions & { timeout: string }) => {
      const timeoutMinutes = intOption('--timeout', opts.timeout, 1) ?? 5;
      const { consoleVerb } = await import('./verbs/console.ts');
      const stdin = process.stdin;
      const tty = stdin.isTTY === true;
      const setRaw = tty ? (raw: boolean) => void stdin.setRawMode(raw) : undefined;
      // Whatever ends the process, the terminal is left in the mode it was found in.
      const restore = () => {
        if (tty && stdin.isRaw) stdin.setRawMode(false);
      };
      process.once('exit', restore);
      try {
        await run(opts, (s, signal) => consoleVerb(s, name, { timeoutMinutes, signal, terminal: { input: stdin, output: process.stdout, ...(setRaw ? { setRaw } : {}) } }));
      } finally {
        restore();
        stdin.pause();
        // A piped stdin (scripts, tests) would otherwise keep the process alive after Ctrl+].
        (stdin as { unref?: () => void }).unref?.();
      }
    });

  const vnc = withGlobals(program.command('vnc').description('open a VMI\'s screen in a VNC viewer through a local proxy (virtctl vnc)'))
    .argument('[name]', 'the VMI')
    .option('--proxy-only', 'only run the proxy: print {"port":N} and wait')
    .option('--port <port>', 'local port of the proxy (default: any free one)')
    .option('--address <address>', 'local address of the proxy (with --proxy-only; default 127.0.0.1)')
    .action(async (name: string | undefined, opts: GlobalOptions & { proxyOnly?: boolean; port?: string; address?: string }) => {
      if (!name) throw new Error('expected a VMI name: pxevirt vnc NAME, or pxevirt vnc screenshot NAME -f FILE');
      const port = intOption('--port', opts.port, 0);
      const { vncVerb } = await import('./verbs/vnc.ts');
      await run(opts, (s, signal) =>
        vncVerb(s, name, { signal, ...(opts.proxyOnly ? { proxyOnly: true } : {}), ...(port !== undefined ? { port } : {}), ...(opts.address ? { address: bare(opts.address) ?? '' } : {}) }),
      );
    });
  withGlobals(vnc.command('screenshot').description('save a PNG of a VMI\'s screen'))
    .argument('<name>', 'the VMI')
    .requiredOption('-f, --file <file>', 'where to write the PNG')
    .action(async (name: string, _local: unknown, cmd: Command) => {
      // -n and --kubeconfig after `vnc` are parsed by the parent command.
      const opts = cmd.optsWithGlobals<GlobalOptions & { file: string }>();
      const { vncScreenshot } = await import('./verbs/vnc.ts');
      await run(opts, (s) => vncScreenshot(s, name, bare(opts.file) ?? ''));
    });

  withGlobals(program.command('logs').description('print a VMI\'s serial log (what the guest wrote on its console)'))
    .argument('<name>', 'the VMI')
    .option('--tail <lines>', 'only the last N lines')
    .action(async (name: string, opts: GlobalOptions & { tail?: string }) => {
      const tail = intOption('--tail', opts.tail, 0);
      const { logsVerb } = await import('./verbs/logs.ts');
      await run(opts, (s) => logsVerb(s, name, tail !== undefined ? { tail } : {}));
    });
}
