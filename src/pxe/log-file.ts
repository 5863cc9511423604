// The PXE server's log file, bounded (issue 13): every packet from the guest network can make a
// line, so lines are rate-limited (LogRateLimit, pure) and the file is rotated at a size cap,
// keeping the newest part (PATH and PATH.1; older parts are dropped).
import { closeSync, fstatSync, openSync, renameSync, writeSync } from 'node:fs';

/** At most `perSecond` lines a second (bursts up to that); reports how many it dropped. */
export class LogRateLimit {
  readonly #perSecond: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;
  #dropped = 0;

  constructor(perSecond: number, now: () => number = Date.now) {
    this.#perSecond = perSecond;
    this.#now = now;
    this.#tokens = perSecond;
    this.#last = now();
  }

  /** Whether a line may be written now; `dropped` is how many were refused since the last allowed one. */
  take(): { ok: boolean; dropped: number } {
    const now = this.#now();
    this.#tokens = Math.min(this.#perSecond, this.#tokens + ((now - this.#last) / 1000) * this.#perSecond);
    this.#last = now;
    if (this.#tokens < 1) {
      this.#dropped++;
      return { ok: false, dropped: 0 };
    }
    this.#tokens -= 1;
    const dropped = this.#dropped;
    this.#dropped = 0;
    return { ok: true, dropped };
  }
}

/** An append-only file that rotates to PATH.1 when it would pass `maxBytes`. */
export class RotatingFile {
  readonly #path: string;
  readonly #maxBytes: number;
  #fd: number;
  #size: number;

  constructor(path: string, maxBytes: number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#fd = openSync(path, 'a', 0o600);
    this.#size = fstatSync(this.#fd).size;
  }

  write(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) this.#rotate();
    writeSync(this.#fd, text);
    this.#size += bytes;
  }

  #rotate(): void {
    closeSync(this.#fd);
    renameSync(this.#path, `${this.#path}.1`);
    this.#fd = openSync(this.#path, 'a', 0o600);
    this.#size = 0;
  }

  close(): void {
    closeSync(this.#fd);
  }
}
