// Image pull progress for a person: on a terminal one line redrawn in place (a bar, percent,
// bytes, rate; at most every 100 ms), elsewhere plain lines at each tenth of the download
// (logs and CI stay short), then one summary line. Pure apart from the injected write/clock.
import type { PullProgress } from '../runtime/types.ts';

export type ProgressMode = 'tty' | 'plain' | 'none';

const KiB = 1024;
const MiB = 1024 * KiB;

/** `12.3 MiB`, `512 KiB`, `0 B`. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= KiB) return `${Math.round(n / KiB)} KiB`;
  return `${n} B`;
}

const rate = (bytes: number, ms: number) => (ms > 0 ? `${formatBytes((bytes * 1000) / ms)}/s` : '');

/** Shortens `text` to `width` columns with a leading ellipsis (the tag end is what differs). */
export const fit = (text: string, width: number) => (text.length <= width ? text : `…${text.slice(text.length - width + 1)}`);

/**
 * The terminal line: `IMAGE [=====>    ]  45%  12.3 MiB / 27.0 MiB  3.2 MiB/s`; without a
 * known total just the bytes; `unpacking` once every byte is in but the disk is not extracted.
 * One column shorter than `columns` so the terminal never wraps it.
 */
export function renderBar(p: PullProgress, elapsedMs: number, columns = 80): string {
  const speed = rate(p.bytes, elapsedMs);
  if (p.total === undefined || p.total <= 0) {
    const tail = `  ${formatBytes(p.bytes)}${speed ? `  ${speed}` : ''}`;
    return `${fit(p.image, Math.max(10, columns - tail.length - 1))}${tail}`;
  }
  const fraction = Math.min(1, p.bytes / p.total);
  const pct = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const status = fraction >= 1 && !p.done ? 'unpacking' : speed;
  const tail = `  ${pct}  ${formatBytes(p.bytes)} / ${formatBytes(p.total)}${status ? `  ${status}` : ''}`;
  const name = fit(p.image, Math.min(40, Math.max(10, Math.floor(columns / 3))));
  return barLine(name, fraction, tail, columns);
}

/** `NAME [=====>    ]TAIL`, the bar filling what `columns` leaves (at least 10), one column short of it. */
export function barLine(name: string, fraction: number, tail: string, columns: number): string {
  const barWidth = Math.max(10, columns - name.length - tail.length - 4);
  const filled = Math.floor(Math.min(1, Math.max(0, fraction)) * barWidth);
  const bar = fraction >= 1 ? '='.repeat(barWidth) : `${'='.repeat(filled)}>${' '.repeat(barWidth - filled - 1)}`;
  return `${name} [${bar}]${tail}`;
}

/** The line a finished pull ends with. */
export function summaryLine(image: string, downloaded: number, elapsedMs: number): string {
  if (downloaded === 0) return `${image}: up to date in the cache, nothing downloaded`;
  return `${image}: pulled ${formatBytes(downloaded)} in ${(elapsedMs / 1000).toFixed(1)} s (${rate(downloaded, elapsedMs)})`;
}

export interface PullReporterOptions {
  mode: ProgressMode;
  write: (text: string) => void;
  now: () => number;
  /** Terminal width (tty mode). */
  columns?: number;
  /** Least time between two redraws in tty mode (default 100 ms). */
  redrawMs?: number;
}

export interface PullReporter {
  /** Feeds one progress report (DiskCache's onProgress). */
  update(p: PullProgress): void;
  /** Ends the display with the summary line. */
  finish(image: string, downloaded: number): void;
  /** Ends the display after a failure (leaves the last line, moves to a new one). */
  abandon(): void;
}

/** A reporter writing in `mode` (see the file comment). */
export function createPullReporter(options: PullReporterOptions): PullReporter {
  const started = options.now();
  const redrawMs = options.redrawMs ?? 100;
  let lastDraw = -Infinity;
  let drawn = false;
  let lastTenth = -1;
  let last: PullProgress | undefined;
  const draw = (p: PullProgress) => {
    options.write(`\r\x1b[K${renderBar(p, options.now() - started, options.columns)}`);
    lastDraw = options.now();
    drawn = true;
  };
  return {
    update(p) {
      last = p;
      if (options.mode === 'tty') {
        if (p.done || options.now() - lastDraw >= redrawMs) draw(p);
      } else if (options.mode === 'plain' && !p.done && p.total !== undefined && p.total > 0) {
        const tenth = Math.min(10, Math.floor((p.bytes / p.total) * 10));
        if (tenth > lastTenth) {
          lastTenth = tenth;
          options.write(`pulling ${p.image}: ${tenth * 10}% (${formatBytes(p.bytes)} of ${formatBytes(p.total)})\n`);
        }
      }
    },
    finish(image, downloaded) {
      if (options.mode === 'none') return;
      if (options.mode === 'tty' && last && !last.done) draw({ ...last, done: true });
      options.write(`${options.mode === 'tty' && drawn ? '\n' : ''}${summaryLine(image, downloaded, options.now() - started)}\n`);
    },
    abandon() {
      if (options.mode === 'tty' && drawn) options.write('\n');
    },
  };
}
