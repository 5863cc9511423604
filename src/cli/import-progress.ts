// DataVolume import progress for a person (`pxevirt wait-import`), pure apart from the injected
// write/clock: what a DataVolume's status says (phase, CDI's `progress` such as "45.20%", the
// condition message) and how it is drawn — on a terminal one line redrawn in place (a bar, the
// percent, the phase), elsewhere a line at each tenth and at each phase change — then one
// summary line. The bar is pull's (pull-progress.ts).
import { barLine, fit } from './pull-progress.ts';
import type { ProgressMode } from './pull-progress.ts';

type Obj = Record<string, unknown>;

/** What one DataVolume's status says about its import. */
export interface ImportState {
  name: string;
  /** CDI's phase (Pending, ImportScheduled, ImportInProgress, CloneInProgress, Succeeded, Failed, …); '' before the first status. */
  phase: string;
  /** 0–100 when CDI's `progress` holds a percent ("N/A" and '' give undefined). */
  percent?: number;
  /** The Running condition's message (why a Failed import failed), else Ready's. */
  message?: string;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a DataVolume object (as the API returns it). */
export function importStateOf(dv: Obj): ImportState {
  const meta = isObj(dv.metadata) ? dv.metadata : {};
  const status = isObj(dv.status) ? dv.status : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const phase = typeof status.phase === 'string' ? status.phase : '';
  const m = typeof status.progress === 'string' ? /^(\d+(?:\.\d+)?)%$/.exec(status.progress.trim()) : null;
  const percent = m ? Math.min(100, Number(m[1])) : undefined;
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isObj) : [];
  const said = (type: string) => conditions.find((c) => c.type === type && typeof c.message === 'string' && c.message !== '')?.message as string | undefined;
  const message = said('Running') ?? said('Ready');
  return { name, phase, ...(percent === undefined ? {} : { percent }), ...(message === undefined ? {} : { message }) };
}

/** Whether the import is over (it will not change by itself any more). */
export const importFinished = (s: ImportState): boolean => s.phase === 'Succeeded' || s.phase === 'Failed';

/** The terminal line: `dv/NAME [=====>    ]  45.2%  ImportInProgress  12 s`, one column short of `columns`. */
export function renderImportBar(s: ImportState, elapsedMs: number, columns = 80): string {
  const fraction = s.phase === 'Succeeded' ? 1 : (s.percent ?? 0) / 100;
  const pct = s.percent === undefined && s.phase !== 'Succeeded' ? '    N/A' : `${(fraction * 100).toFixed(1).padStart(6)}%`;
  const tail = `  ${pct}  ${s.phase || 'Pending'}  ${Math.floor(elapsedMs / 1000)} s`;
  const name = fit(`dv/${s.name}`, Math.min(40, Math.max(10, Math.floor(columns / 3))));
  return barLine(name, fraction, tail, columns);
}

/** The line a finished import ends with (stdout). */
export function importSummary(s: ImportState, elapsedMs: number): string {
  const took = `${(elapsedMs / 1000).toFixed(1)} s`;
  return s.phase === 'Succeeded' ? `datavolume.cdi.kubevirt.io/${s.name} imported (${took})` : `datavolume.cdi.kubevirt.io/${s.name} ${s.phase || 'Pending'} after ${took}`;
}

export interface ImportReporterOptions {
  mode: ProgressMode;
  write: (text: string) => void;
  now: () => number;
  columns?: number;
}

export interface ImportReporter {
  update(s: ImportState): void;
  /** Ends the display (a new line after the bar); resolves the elapsed time. */
  end(): number;
}

/** A reporter writing in `mode` (see the file comment). */
export function createImportReporter(options: ImportReporterOptions): ImportReporter {
  const started = options.now();
  let drawn = false;
  let lastTenth = -1;
  let lastPhase: string | undefined;
  return {
    update(s) {
      if (options.mode === 'tty') {
        options.write(`\r\x1b[K${renderImportBar(s, options.now() - started, options.columns)}`);
        drawn = true;
      } else if (options.mode === 'plain') {
        const tenth = s.percent === undefined ? -1 : Math.floor(s.percent / 10);
        if (s.phase === lastPhase && tenth <= lastTenth) return;
        lastPhase = s.phase;
        lastTenth = Math.max(lastTenth, tenth);
        options.write(`importing ${s.name}: ${s.phase || 'Pending'}${s.percent === undefined ? '' : ` ${s.percent.toFixed(1)}%`}\n`);
      }
    },
    end() {
      if (options.mode === 'tty' && drawn) options.write('\n');
      drawn = false;
      return options.now() - started;
    },
  };
}
