// `pxevirt wait-import [dv] NAME… [--timeout 10m] [--progress auto|tty|plain|none]`: follows
// DataVolume imports as `kubectl rollout status` follows a rollout — a progress bar on stderr
// (like `pxevirt pull`, like virtctl image-upload), one summary line per DataVolume on stdout,
// exit 0 when every one Succeeded, 1 naming the first that Failed (with CDI's message).
import { UsageError } from '../client/cli-errors.ts';
import { createImportReporter, importFinished, importStateOf, importSummary, type ImportState } from '../import-progress.ts';
import type { ProgressMode } from '../pull-progress.ts';
import { resolveArgs } from './targets.ts';
import { parseDuration, waitFor } from './wait-for.ts';
import type { Session } from './session.ts';

/** A DataVolume import ended Failed. */
export class ImportFailedError extends Error {
  constructor(
    readonly namespace: string,
    readonly dataVolume: string,
    readonly reason: string,
  ) {
    super(`DataVolume ${namespace}/${dataVolume} import failed: ${reason}`);
    this.name = 'ImportFailedError';
  }
}

export interface WaitImportOptions {
  timeout?: string;
  progress?: 'auto' | ProgressMode;
  /** Whether stderr is a terminal (progress `auto` draws a bar then). */
  errIsTty?: boolean;
  columns?: number;
  now?: () => number;
}

const DV_TYPES = new Set(['dv', 'dvs', 'datavolume', 'datavolumes', 'datavolume.cdi.kubevirt.io', 'datavolumes.cdi.kubevirt.io']);

/** `NAME…`, `dv NAME…` or `dv/NAME…` → DataVolume names; throws UsageError for anything else. */
export function dataVolumeNames(args: readonly string[]): string[] {
  const rest = DV_TYPES.has((args[0] ?? '').toLowerCase()) ? args.slice(1) : args;
  const names = rest.map((a) => {
    const slash = a.indexOf('/');
    if (slash < 0) return a;
    if (!DV_TYPES.has(a.slice(0, slash).toLowerCase())) throw new UsageError(`wait-import follows DataVolumes: expected NAME, dv NAME or dv/NAME, found ${JSON.stringify(a)}`);
    return a.slice(slash + 1);
  });
  if (names.length === 0 || names.some((n) => n === '')) throw new UsageError(`expected DataVolume names (NAME, dv NAME or dv/NAME), found ${JSON.stringify(args.join(' '))}`);
  return names;
}

/** Follows each DataVolume in turn until it Succeeded (or Failed: throws), all within one deadline. */
export async function waitImport(session: Session, args: readonly string[], options: WaitImportOptions = {}): Promise<void> {
  const names = dataVolumeNames(args);
  const now = options.now ?? Date.now;
  const deadline = now() + parseDuration(options.timeout ?? '10m');
  const mode: ProgressMode = options.progress === undefined || options.progress === 'auto' ? (options.errIsTty ? 'tty' : 'plain') : options.progress;
  const [typed] = await resolveArgs(session, ['datavolumes.cdi.kubevirt.io']);
  if (!typed) throw new UsageError('the server does not serve DataVolumes (cdi.kubevirt.io)');
  for (const name of names) {
    const reporter = createImportReporter({ mode, write: session.io.err, now, ...(options.columns !== undefined ? { columns: options.columns } : {}) });
    let last: ImportState = { name, phase: '' };
    try {
      await waitFor(session, { info: typed.info, namespace: session.namespace, name }, {
        test: (o) => {
          last = importStateOf(o);
          reporter.update(last);
          return importFinished(last);
        },
      }, deadline, now);
    } finally {
      const elapsed = reporter.end();
      if (last.phase === 'Succeeded' || last.phase === 'Failed') session.io.out(`${importSummary(last, elapsed)}\n`);
    }
    if (last.phase === 'Failed') throw new ImportFailedError(session.namespace, name, last.message ?? 'no message in its conditions');
  }
}
