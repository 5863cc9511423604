// The `pxevirt` command: parses arguments and dispatches; the only place that exits.
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { reportError, ExitCode } from './errors.ts';
import { loadPxeConfig } from '../pxe/config-file.ts';

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
  .action(async (opts: { config: string; stateDir?: string; logLevel: 'debug' | 'info' | 'warn' | 'error' }) => {
    const { pxeServe } = await import('./pxe-serve.ts');
    await pxeServe({ config: opts.config, logLevel: opts.logLevel, ...(opts.stateDir ? { stateDir: opts.stateDir } : {}) });
  });

pxe
  .command('check')
  .description('validate a PXE config file and print it with defaults applied')
  .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
  .action(async (opts: { config: string }) => {
    const spec = await loadPxeConfig(opts.config);
    process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
  });

program
  .command('up')
  .description('run the API server (and controllers) in the foreground; prints the KUBECONFIG line')
  .option('--data-dir <dir>', 'state directory (default /var/lib/pxevirt for root, else ~/.local/share/pxevirt)')
  .option('--listen <host:port>', 'HTTPS listen address', '127.0.0.1:6443')
  .addOption(new Option('--log-level <level>', 'log level').choices(['debug', 'info', 'warn', 'error']).default('info'))
  .option('--registry-mirror <registry=url>', 'pull REGISTRY\'s images from URL (repeatable), e.g. docker.io=http://127.0.0.1:5000', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--node-name <name>', 'this node\'s name in status.nodeName (default: the host name)')
  .option('--netns-prefix <prefix>', 'prefix of the VMI pods\' network namespace names')
  .option('--no-controllers', 'serve the API only: no controllers, no guests')
  .action(async (opts: { dataDir?: string; listen: string; logLevel: 'debug' | 'info' | 'warn' | 'error'; registryMirror: string[]; nodeName?: string; netnsPrefix?: string; controllers: boolean }) => {
    const { up } = await import('./up.ts');
    await up({
      listen: opts.listen,
      logLevel: opts.logLevel,
      registryMirrors: opts.registryMirror,
      controllers: opts.controllers,
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
      ...(opts.netnsPrefix ? { netnsPrefix: opts.netnsPrefix } : {}),
    });
  });

// kubectl-like verbs (create, apply, get, describe, delete, wait); each loads its code when run.
(await import('./kube-commands.ts')).registerKubeCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err, (text) => process.stderr.write(text));
}
if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
