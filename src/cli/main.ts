// The `pxevirt` command: parses arguments and dispatches; the only place that exits. Each
// command's code is imported when it runs, so `pxevirt get` loads no QEMU, PXE or web code.
import { Command, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { reportError, ExitCode } from './errors.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('pxevirt')
  .description('KubeVirt manifests on one Linux host, with network (PXE) boot built in')
  .version(pkg.version)
  .showHelpAfterError();

const pxe = program.command('pxe').description('the PXE boot server (DHCP, TFTP, HTTP)');

pxe
  .command('serve')
  .description('serve DHCP, TFTP and HTTP boot on one interface, in the foreground')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON): the PXEServer spec')
  .option('--state-dir <dir>', 'where leases persist (default /var/lib/pxevirt/pxe/<interface>)')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .option('--status-socket <path>', 'also serve /status and /metrics on this unix socket')
  .option('--log-file <path>', 'log to this file instead of stdout, rotated to <path>.1 at --log-max-bytes (the newest kept)')
  .option('--log-max-bytes <n>', 'size at which --log-file rotates (default 16 MiB)', (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 4096) throw new InvalidArgumentError(`expected a number of bytes of at least 4096, found ${JSON.stringify(v)}`);
    return Number(v);
  })
  .option('--user <name>', 'become this user once every port is bound; the root and the log\'s directory must then be open to it (default: pxevirt-pxe when started as root and it exists; root stays root)')
  .action(async (opts: { config: string; stateDir?: string; logLevel: 'debug' | 'info' | 'warn' | 'error'; statusSocket?: string; logFile?: string; logMaxBytes?: number; user?: string }) => {
    const { pxeServe } = await import('./pxe-serve.ts');
    await pxeServe({
      config: opts.config,
      logLevel: opts.logLevel,
      ...(opts.user ? { user: opts.user } : {}),
      ...(opts.stateDir ? { stateDir: opts.stateDir } : {}),
      ...(opts.statusSocket ? { statusSocket: opts.statusSocket } : {}),
      ...(opts.logFile ? { logFile: opts.logFile } : {}),
      ...(opts.logMaxBytes ? { logMaxBytes: opts.logMaxBytes } : {}),
    });
  });

pxe
  .command('check')
  .description('validate a PXE config file and print it with defaults applied')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action(async (opts: { config: string }) => {
    const { loadPxeConfig } = await import('../pxe/config-file.ts');
    const spec = await loadPxeConfig(opts.config);
    process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
  });

pxe
  .command('reprovision')
  .description('send an installed host back to install on its next boot: PXESERVER MAC through the API (an annotation), or MAC with --status-socket for `pxe serve`')
  .arguments('<pxeserver-or-mac> [mac]')
  .option('--status-socket <path>', 'the status socket of a `pxevirt pxe serve` (then give only the MAC)')
  .option('-n, --namespace <namespace>', 'the PXEServer\'s namespace')
  .option('--kubeconfig <file>', 'kubeconfig to use')
  .action(async (first: string, second: string | undefined, opts: { statusSocket?: string; namespace?: string; kubeconfig?: string }) => {
    const r = await import('./pxe-reprovision.ts');
    const out = (t: string) => void process.stdout.write(t);
    if (opts.statusSocket !== undefined) {
      if (second !== undefined) throw new InvalidArgumentError(`expected only a MAC with --status-socket, found ${JSON.stringify(first)} and ${JSON.stringify(second)}`);
      return r.reprovisionViaSocket(opts.statusSocket, r.macArgument(first), out);
    }
    const { openSession, readProcessStdin } = await import('./verbs/session.ts');
    const session = openSession({ ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) }, { out, err: (t) => void process.stderr.write(t), readStdin: readProcessStdin });
    try {
      await r.reprovisionViaApi(session, first, r.macArgument(second));
    } finally {
      session.client.close();
    }
  });

const bmc = program.command('bmc').description('the Redfish BMC every VirtualMachine has (/redfish/v1 on the API port)');

/** Runs a bmc verb in a session from the common flags. */
async function inBmcSession(opts: { namespace?: string; kubeconfig?: string }, body: (session: import('./verbs/session.ts').Session, b: typeof import('./bmc.ts')) => Promise<void>): Promise<void> {
  const { openSession, readProcessStdin } = await import('./verbs/session.ts');
  const b = await import('./bmc.ts');
  const session = openSession({ ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}) }, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), readStdin: readProcessStdin });
  try {
    await body(session, b);
  } finally {
    session.client.close();
  }
}

bmc
  .command('list')
  .description("print each VM's Redfish system address and its credentials reference")
  .option('-n, --namespace <namespace>', 'the VMs\' namespace')
  .option('-A, --all-namespaces', 'VMs of every namespace')
  .option('--kubeconfig <file>', 'kubeconfig to use')
  .action((opts: { namespace?: string; kubeconfig?: string; allNamespaces?: boolean }) => inBmcSession(opts, (session, b) => b.bmcList(session, opts.allNamespaces === true)));

bmc
  .command('baremetalhost')
  .description('print a Metal3 BareMetalHost (and Ironic node create arguments) for a VM')
  .arguments('<vm>')
  .option('-n, --namespace <namespace>', 'the VM\'s namespace')
  .option('--kubeconfig <file>', 'kubeconfig to use')
  .addOption(new Option('--driver <driver>', 'the BMC address scheme (virtual media is not served yet: redfish-virtualmedia needs it)').choices(['redfish', 'redfish-virtualmedia']).default('redfish'))
  .action((vm: string, opts: { namespace?: string; kubeconfig?: string; driver: 'redfish' | 'redfish-virtualmedia' }) => inBmcSession(opts, (session, b) => b.bmcBareMetalHost(session, vm, opts.driver)));

program
  .command('up')
  .description('run the API server (and controllers) in the foreground; prints the KUBECONFIG line')
  .option('--config <file>', 'settings file (YAML or JSON) with the keys below in camelCase, e.g. registryMirrors: {docker.io: URL}; flags win (default <data-dir>/config.yaml when present)')
  .option('--data-dir <dir>', 'state directory (default /var/lib/pxevirt for root, else ~/.local/share/pxevirt)')
  .option('--listen <host:port>', 'HTTPS listen address (default 127.0.0.1:6443)')
  .addOption(new Option('--log-level <level>', 'log level (default info)').choices(['debug', 'info', 'warn', 'error']))
  .option('--registry-mirror <registry=url>', 'pull REGISTRY\'s images from URL (repeatable), e.g. docker.io=http://127.0.0.1:5000', (v: string, all: string[] = []) => [...all, v])
  .option('--node-name <name>', 'this node\'s name in status.nodeName (default: the host name)')
  .option('--netns-prefix <prefix>', 'prefix of the VMI pods\' network namespace names')
  .option('--pxe-netns-prefix <prefix>', 'prefix of the PXEServers\' network namespace names (default pxs-)')
  .option('--pxe-status-poll-ms <ms>', 'how often running PXE servers\' status is read into their PXEServer (default 3000)')
  .option('--no-controllers', 'serve the API only: no controllers, no guests')
  .option('--mac-range <first-last>', 'MAC pool for interfaces without macAddress (default 02:00:00:00:00:00-02:ff:ff:ff:ff:ff)')
  .option('--node-netns <name>', 'keep the node network (bridges, veths, NAT, NNCPs) in this network namespace, created when missing; the API stays in this one')
  .option('--host-network', 'let pxevirt change this machine\'s own network namespace when it is the node (refused otherwise)')
  .option('--cni-plugin-dirs <dirs...>', 'where CNI plugins are looked up (default /usr/lib/cni)')
  .option('--qemu-user <name>', 'the user each guest\'s QEMU drops to once it has opened its files (default pxevirt-qemu; root keeps QEMU root)')
  .option('--pxe-user <name>', 'the user each PXEServer\'s server drops to once its ports are bound (default pxevirt-pxe; root keeps it root)')
  .option('--nncp-probe <gateway|none>', 'NNCP connectivity probe: ping the default gateway before and after an apply (gateway, the default) or only check the default route stays (none)')
  .action(async (opts: Record<string, unknown>, cmd: Command) => {
    const { up } = await import('./up.ts');
    // Only the flags given: the rest come from the config file, then the defaults.
    await up(Object.fromEntries(Object.entries(opts).filter(([key]) => cmd.getOptionValueSource(key) === 'cli')));
  });

program
  .command('pull')
  .description('pull a containerDisk image into the node\'s image cache (through the registry mirrors), showing progress')
  .argument('<image>', 'image reference, e.g. kubevirt/fedora-cloud-container-disk-demo:latest')
  .option('--config <file>', '`pxevirt up`\'s config file: its dataDir and registryMirrors apply (default <data-dir>/config.yaml when present)')
  .option('--data-dir <dir>', 'state directory, as for `pxevirt up`')
  .option('--registry-mirror <registry=url>', 'pull REGISTRY\'s images from URL (repeatable); wins over the config file', (v: string, all: string[] = []) => [...all, v])
  .addOption(new Option('--progress <mode>', 'auto: a bar when stderr is a terminal, else plain lines').choices(['auto', 'tty', 'plain', 'none']).default('auto'))
  .action(async (image: string, opts: { config?: string; dataDir?: string; registryMirror?: string[]; progress: 'auto' | 'tty' | 'plain' | 'none' }) => {
    const { pull } = await import('./pull.ts');
    const aborter = new AbortController();
    process.once('SIGINT', () => aborter.abort());
    await pull(image, { ...opts, signal: aborter.signal }, {
      out: (t) => void process.stdout.write(t),
      err: (t) => void process.stderr.write(t),
      errIsTty: process.stderr.isTTY === true,
      ...(process.stderr.columns ? { columns: process.stderr.columns } : {}),
    });
  });

// kubectl-like verbs (create, apply, get, describe, delete, wait); each loads its code when run.
(await import('./kube-commands.ts')).registerKubeCommands(program);
// virtctl's console, vnc (+ screenshot) and the serial log.
(await import('./guest-commands.ts')).registerGuestCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err, (text) => process.stderr.write(text));
}
if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
