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

  registerTunnelCommands(program);

  withGlobals(program.command('logs').description('print a VMI\'s serial log (what the guest wrote on its console)'))
    .argument('<name>', 'the VMI')
    .option('--tail <lines>', 'only the last N lines')
    .action(async (name: string, opts: GlobalOptions & { tail?: string }) => {
      const tail = intOption('--tail', opts.tail, 0);
      const { logsVerb } = await import('./verbs/logs.ts');
      await run(opts, (s) => logsVerb(s, name, tail !== undefined ? { tail } : {}));
    });
}

const collect = (v: string, all: string[] = []) => [...all, v];
type SshFlags = GlobalOptions & { identityFile?: string; username?: string; port?: string; knownHosts?: string; localSshOpts?: string[] };

function withSshFlags(cmd: Command): Command {
  return withGlobals(cmd)
    .option('-i, --identity-file <file>', 'the private key ssh uses')
    .option('-l, --username <user>', 'the user to log in as (USER@ in the target wins)')
    .option('-p, --port <port>', 'the guest\'s SSH port', '22')
    .option('--known-hosts <file>', 'known hosts file (default ~/.ssh/kubevirt_known_hosts)')
    .option('-t, --local-ssh-opts <option>', 'an option handed to ssh/scp as is, e.g. -t=-oStrictHostKeyChecking=accept-new (repeatable)', collect);
}

function sshOptions(opts: SshFlags) {
  const port = intOption('--port', opts.port, 1);
  const ns = bare(opts.namespace);
  const kubeconfig = bare(opts.kubeconfig);
  return {
    ...(opts.identityFile ? { identityFile: bare(opts.identityFile) ?? '' } : {}),
    ...(opts.username ? { username: bare(opts.username) ?? '' } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(opts.knownHosts ? { knownHosts: bare(opts.knownHosts) ?? '' } : {}),
    ...(opts.localSshOpts ? { localSshOpts: opts.localSshOpts.map((o) => bare(o) ?? '') } : {}),
    ...(ns ? { namespace: ns } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
  };
}

/** How this CLI runs itself again (ssh's ProxyCommand): bin/pxevirt itself (its shebang sets Node's flags), else node with these flags and the script. */
const self = (): string[] => {
  const script = process.argv[1] ?? 'pxevirt';
  return /(^|\/)pxevirt$/.test(script) ? [script] : [process.execPath, ...process.execArgv, script];
};

/** Adds port-forward, ssh and scp (virtctl's, with the system's OpenSSH client). */
function registerTunnelCommands(program: Command): void {
  withGlobals(program.command('port-forward').description('forward local ports to a VMI\'s ports (virtctl port-forward): TYPE/NAME[.NS] [LOCAL:]REMOTE[/udp]…'))
    .argument('<target>', 'vmi/NAME or vm/NAME, optionally NAME.NAMESPACE')
    .argument('<ports...>', 'REMOTE, LOCAL:REMOTE, each optionally /tcp or /udp')
    .option('--address <address>', 'local address to listen on', '127.0.0.1')
    .option('--stdio', 'join stdin/stdout to the one port given (an ssh ProxyCommand)')
    .action(async (targetText: string, portTexts: string[], opts: GlobalOptions & { address: string; stdio?: boolean | string }) => {
      const { parseTarget, parsePortSpec, portForwardVerb, portForwardStdio } = await import('./verbs/port-forward.ts');
      const target = parseTarget(targetText);
      const specs = portTexts.map(parsePortSpec);
      const withNs = target.namespace ? { ...opts, namespace: target.namespace } : opts;
      if (opts.stdio) {
        if (specs.length !== 1 || !specs[0]) throw new Error(`--stdio takes exactly one port, found ${JSON.stringify(portTexts.join(' '))}`);
        const spec = specs[0];
        await run(withNs, (s, signal) => portForwardStdio(s, target, spec, { input: process.stdin, output: process.stdout, signal }));
        (process.stdin as { unref?: () => void }).unref?.();
        return;
      }
      await run(withNs, (s, signal) => portForwardVerb(s, target, specs, { address: bare(opts.address) ?? '127.0.0.1', signal }));
    });

  withSshFlags(program.command('ssh').description('open an SSH session to a VMI with the system\'s ssh (virtctl ssh --local-ssh): [USER@]vmi/NAME[.NS]'))
    .argument('<destination>', '[USER@]vmi/NAME or [USER@]vm/NAME, optionally NAME.NAMESPACE')
    .option('-c, --command <command>', 'run this command instead of a shell')
    .action(async (destination: string, opts: SshFlags & { command?: string }) => {
      const { sshArgv, runClient } = await import('./verbs/ssh.ts');
      const o = sshOptions(opts);
      const { namespace } = await namespaceOf(opts);
      process.exitCode = await runClient('ssh', sshArgv(self(), destination, namespace, { ...o, ...(opts.command !== undefined ? { command: opts.command } : {}) }));
    });

  withSshFlags(program.command('scp').description('copy files to or from a VMI with the system\'s scp (virtctl scp --local-ssh): SOURCE DESTINATION, one of them [USER@]vmi/NAME:PATH'))
    .argument('<source>')
    .argument('<destination>')
    .option('-r, --recursive', 'copy directories')
    .option('--preserve', 'keep modification times and modes')
    .action(async (source: string, destination: string, opts: SshFlags & { recursive?: boolean; preserve?: boolean }) => {
      const { scpArgv, runClient } = await import('./verbs/ssh.ts');
      const o = sshOptions(opts);
      const { namespace } = await namespaceOf(opts);
      process.exitCode = await runClient('scp', scpArgv(self(), source, destination, namespace, { ...o, ...(opts.recursive ? { recursive: true } : {}), ...(opts.preserve ? { preserve: true } : {}) }));
    });
}

/** The namespace the kubeconfig and -n give (for ssh's host name), without opening a client. */
async function namespaceOf(opts: GlobalOptions): Promise<{ namespace: string }> {
  const ns = bare(opts.namespace);
  if (ns) return { namespace: ns };
  const { loadKubeconfig } = await import('./client/kubeconfig.ts');
  const access = loadKubeconfig(bare(opts.kubeconfig), { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME, uid: process.getuid?.() });
  return { namespace: access.namespace || 'default' };
}
