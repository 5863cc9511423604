// Registers the kubectl-like verbs (create, apply, get, describe, delete, wait) on the
// `pxevirt` command; each action loads its implementation only when it runs.
import type { Command } from 'commander';
import type { GlobalOptions, Io, Session } from './verbs/session.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const bare = (v: string | undefined) => (v === undefined ? undefined : v.replace(/^=/, ''));

/** Opens a session, runs `fn`, closes the connection pool so the process can exit. */
async function run(opts: GlobalOptions, fn: (session: Session) => Promise<void>): Promise<void> {
  const { openSession, readProcessStdin } = await import('./verbs/session.ts');
  const io: Io = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), readStdin: readProcessStdin };
  const ns = bare(opts.namespace);
  const kubeconfig = bare(opts.kubeconfig);
  const session = openSession({ ...(ns ? { namespace: ns } : {}), ...(kubeconfig ? { kubeconfig } : {}) }, io);
  try {
    await fn(session);
  } finally {
    session.client.close();
  }
}

function verb(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-n, --namespace <namespace>', 'the namespace (default: the kubeconfig context\'s, else "default")')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG, else the data dir\'s)');
}

/** Adds the verbs to `program`. */
export function registerKubeCommands(program: Command): void {
  verb(program, 'create', 'create objects from files or stdin (-f FILE|-)')
    .requiredOption('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-o, --output <format>', 'yaml|json|name')
    .option('--dry-run <mode>', 'none|server|client')
    .action(async (opts: GlobalOptions & { filename: string[]; output?: string; dryRun?: string }) => {
      const [{ create }, { parseOutput }] = await Promise.all([import('./verbs/create.ts'), import('./verbs/output.ts')]);
      const output = parseOutput(opts.output, ['yaml', 'json', 'name']);
      await run(opts, (s) => create(s, { filename: opts.filename, ...(output ? { output } : {}), ...(opts.dryRun ? { dryRun: bare(opts.dryRun) ?? '' } : {}) }));
    });

  verb(program, 'apply', 'create or update objects from files (client-side apply, like kubectl)')
    .requiredOption('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect)
    .option('--dry-run <mode>', 'none|server|client')
    .action(async (opts: GlobalOptions & { filename: string[]; dryRun?: string }) => {
      const { apply } = await import('./verbs/apply.ts');
      await run(opts, (s) => apply(s, { filename: opts.filename, ...(opts.dryRun ? { dryRun: bare(opts.dryRun) ?? '' } : {}) }));
    });

  verb(program, 'get', 'list objects as a table, or print them (-o yaml|json|name|wide|jsonpath=…)')
    .argument('[type-and-names...]', 'TYPE [NAME…] or TYPE/NAME…')
    .option('-o, --output <format>', 'yaml|json|name|wide|jsonpath=TEMPLATE')
    .option('-l, --selector <selector>', 'label selector')
    .option('--field-selector <selector>', 'field selector (metadata.name, metadata.namespace)')
    .option('-A, --all-namespaces', 'every namespace')
    .option('-w, --watch', 'after listing, print each change')
    .option('--no-headers', 'no header row')
    .action(async (args: string[], opts: GlobalOptions & { output?: string; selector?: string; fieldSelector?: string; allNamespaces?: boolean; watch?: boolean; headers?: boolean }) => {
      const [{ get }, { parseOutput }] = await Promise.all([import('./verbs/get.ts'), import('./verbs/output.ts')]);
      const output = parseOutput(opts.output);
      await run(opts, (s) =>
        get(s, args, {
          ...(output ? { output } : {}),
          ...(opts.selector ? { selector: bare(opts.selector) ?? '' } : {}),
          ...(opts.fieldSelector ? { fieldSelector: bare(opts.fieldSelector) ?? '' } : {}),
          ...(opts.allNamespaces ? { allNamespaces: true } : {}),
          ...(opts.watch ? { watch: true } : {}),
          ...(opts.headers === false ? { noHeaders: true } : {}),
        }),
      );
    });

  verb(program, 'describe', 'show an object in detail, with its events')
    .argument('[type-and-names...]', 'TYPE [NAME…] or TYPE/NAME…')
    .option('-l, --selector <selector>', 'label selector')
    .option('-A, --all-namespaces', 'every namespace')
    .action(async (args: string[], opts: GlobalOptions & { selector?: string; allNamespaces?: boolean }) => {
      const { describe } = await import('./verbs/describe.ts');
      await run(opts, (s) => describe(s, args, { ...(opts.selector ? { selector: opts.selector } : {}), ...(opts.allNamespaces ? { allNamespaces: true } : {}) }));
    });

  verb(program, 'delete', 'delete objects by type and name, selector, or file')
    .argument('[type-and-names...]', 'TYPE NAME… or TYPE/NAME…')
    .option('-f, --filename <file>', 'file, directory or - for stdin (repeatable)', collect)
    .option('-l, --selector <selector>', 'label selector')
    .option('--all', 'every object of the type in the namespace')
    .option('-A, --all-namespaces', 'every namespace')
    .option('--ignore-not-found', 'no error when the object does not exist')
    .option('--wait <bool>', 'wait until the objects are gone', 'true')
    .option('--grace-period <seconds>', 'seconds the object has to stop')
    .option('--now', 'same as --grace-period=1')
    .action(async (args: string[], opts: GlobalOptions & { filename?: string[]; selector?: string; all?: boolean; allNamespaces?: boolean; ignoreNotFound?: boolean; wait: string; gracePeriod?: string; now?: boolean }) => {
      const { del } = await import('./verbs/delete.ts');
      await run(opts, (s) =>
        del(s, args, {
          ...(opts.filename ? { filename: opts.filename } : {}),
          ...(opts.selector ? { selector: opts.selector } : {}),
          ...(opts.all ? { all: true } : {}),
          ...(opts.allNamespaces ? { allNamespaces: true } : {}),
          ...(opts.ignoreNotFound ? { ignoreNotFound: true } : {}),
          ...(opts.gracePeriod !== undefined ? { gracePeriod: Number(bare(opts.gracePeriod)) } : {}),
          ...(opts.now ? { now: true } : {}),
          wait: bare(opts.wait) !== 'false',
        }),
      );
    });

  verb(program, 'wait', 'wait for a condition, a jsonpath value, or deletion')
    .argument('<type-and-names...>', 'TYPE/NAME… or TYPE NAME…')
    .requiredOption('--for <condition>', 'delete | condition=NAME[=VALUE] | jsonpath={EXPR}[=VALUE] | create')
    .option('--timeout <duration>', 'how long to wait (30s, 5m, …)', '30s')
    .option('-A, --all-namespaces', 'every namespace')
    .action(async (args: string[], opts: GlobalOptions & { for: string; timeout: string; allNamespaces?: boolean }) => {
      const { wait } = await import('./verbs/wait.ts');
      await run(opts, (s) => wait(s, args, { for: bare(opts.for) ?? '', timeout: bare(opts.timeout) ?? '30s', ...(opts.allNamespaces ? { allNamespaces: true } : {}) }));
    });

  verb(program, 'wait-import', 'follow DataVolume imports with a progress bar until they succeed (exit 1 if one fails)')
    .argument('<names...>', 'NAME…, dv NAME… or dv/NAME…')
    .option('--timeout <duration>', 'how long to wait for all of them (30s, 5m, …)', '10m')
    .option('--progress <mode>', 'auto (a bar when stderr is a terminal, else plain lines), tty, plain or none', 'auto')
    .action(async (args: string[], opts: GlobalOptions & { timeout: string; progress: string }) => {
      const { waitImport } = await import('./verbs/wait-import.ts');
      const progress = bare(opts.progress) ?? 'auto';
      if (!['auto', 'tty', 'plain', 'none'].includes(progress)) throw new Error(`--progress must be auto, tty, plain or none, found ${JSON.stringify(progress)}`);
      await run(opts, (s) =>
        waitImport(s, args, { timeout: bare(opts.timeout) ?? '10m', progress: progress as 'auto', errIsTty: process.stderr.isTTY === true, ...(process.stderr.columns ? { columns: process.stderr.columns } : {}) }),
      );
    });

  // virtctl's VM verbs: start, stop, restart.
  for (const action of ['start', 'stop', 'restart'] as const) {
    const cmd = verb(program, action, `${action} a VirtualMachine (virtctl ${action}): NAME or vm NAME`)
      .argument('<name...>', 'NAME, vm NAME or vm/NAME')
      .option('--dry-run', 'validate only; change nothing');
    if (action !== 'start') cmd.option('--grace-period <seconds>', 'seconds the guest has to shut down');
    cmd.action(async (args: string[], opts: GlobalOptions & { dryRun?: boolean; gracePeriod?: string }) => {
      const { vmNameFrom, vmState } = await import('./verbs/vm-state.ts');
      const name = vmNameFrom(args);
      const grace = opts.gracePeriod !== undefined ? Number(bare(opts.gracePeriod)) : undefined;
      if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) throw new Error(`--grace-period must be a non-negative integer, found ${JSON.stringify(opts.gracePeriod)}`);
      await run(opts, (s) => vmState(s, action, name, { ...(grace !== undefined ? { gracePeriod: grace } : {}), ...(opts.dryRun ? { dryRun: true } : {}) }));
    });
  }

  // virtctl's guestosinfo (VMI).
  verb(program, 'guestosinfo', "print a VirtualMachineInstance's guest OS info from its guest agent (virtctl guestosinfo): NAME")
    .argument('<name>', 'the VMI')
    .action(async (name: string, opts: GlobalOptions) => {
      const { guestOsInfo } = await import('./verbs/guest-os-info.ts');
      await run(opts, (s) => guestOsInfo(s, name));
    });

  // virtctl's VMI verbs: pause and unpause (vm|vmi NAME), soft-reboot (NAME).
  for (const action of ['pause', 'unpause', 'soft-reboot'] as const) {
    verb(program, action, action === 'soft-reboot' ? 'soft-reboot a VirtualMachineInstance (virtctl soft-reboot): NAME' : `${action} a VirtualMachine's or VirtualMachineInstance's guest (virtctl ${action}): vm NAME or vmi NAME`)
      .argument('<target...>', action === 'soft-reboot' ? 'NAME' : 'vm NAME, vmi NAME, vm/NAME or vmi/NAME')
      .option('--dry-run', 'validate only; change nothing')
      .action(async (args: string[], opts: GlobalOptions & { dryRun?: boolean }) => {
        const { vmiAction, vmiTargetFrom } = await import('./verbs/vmi-actions.ts');
        const target = vmiTargetFrom(action, args);
        await run(opts, (s) => vmiAction(s, action, target, opts.dryRun ? { dryRun: true } : {}));
      });
  }
}
