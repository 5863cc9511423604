// The fast entry of the built CLI for the kubectl- and virtctl-like verbs (get, describe, apply,
// console, …): scripts/build-cli.ts bundles it with everything those verbs load into one
// CommonJS file, dist/cli/kube.cjs, which Node loads without the ESM loader's per-module work
// (about 80 ms of `pxevirt get` start-up; see docs/benchmarks.md). Any other command (up, pull,
// pxe, --help, --version) goes to the full CLI, dist/cli/main.js.
import { Command } from 'commander';
import { reportError, ExitCode } from './errors.ts';
import { registerGuestCommands } from './guest-commands.ts';
import { registerKubeCommands } from './kube-commands.ts';

/** Runs argv (process.argv's shape) when its verb is one of these; false when it is not (nothing done). */
export async function runKubeVerb(argv: string[]): Promise<boolean> {
  const program = new Command('pxevirt').showHelpAfterError();
  registerKubeCommands(program);
  registerGuestCommands(program);
  const verb = argv[2];
  if (verb === undefined || !program.commands.some((c) => c.name() === verb || c.aliases().includes(verb))) return false;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, (text) => process.stderr.write(text));
  }
  if (process.exitCode === undefined) process.exitCode = ExitCode.ok;
  return true;
}
