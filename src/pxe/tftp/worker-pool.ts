// The TFTP server's transfer threads: transfers are spread over worker threads (the least
// busy takes the next), so the data path uses every core and, on a shared machine, gets a
// scheduler share per thread as a thread-per-transfer server does. The main thread keeps
// the request socket, the caps, the timeline and the metrics; workers report in messages.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TransferOutcome } from './transfer.ts';
import type { FromWorker, ToWorker } from './worker-messages.ts';

type StartMessage = Omit<Extract<ToWorker, { type: 'start' }>, 'type' | 'id'>;

/** What the server hears of one transfer running on a worker. */
export interface WorkerTransferHooks {
  oack(accepted: Map<string, string>, blksize: number, windowsize: number): void;
  progress(bytes: number, heard: number): void;
  finished(outcome: TransferOutcome, blksize: number, windowsize: number): void;
  /** The worker closed the transfer's socket (after finished, an end, or a failed start). */
  ended(sent: number): void;
  failed(err: string): void;
  malformed(err: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

interface Member {
  worker: Worker;
  running: number;
}

/** The worker script beside this module: the .ts source under tsx, the bundled .js in dist/. */
export function workerScript(): URL | undefined {
  const url = import.meta.url.endsWith('.ts') ? new URL('./transfer-worker.ts', import.meta.url) : new URL('./tftp-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * What a Worker runs: the script itself, or for the .ts source (tests and `tsx` runs) a
 * bootstrap that registers tsx in the thread first (a worker does not inherit the loader).
 */
function entry(script: URL): URL {
  if (!script.pathname.endsWith('.ts')) return script;
  // The ESM build of tsx's API (require.resolve would give the CommonJS one).
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/index\.cjs$/, 'index.mjs');
  const code = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(script.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

/** A fixed set of transfer threads; `run` places a transfer on the least busy. */
export class TransferWorkers {
  readonly #members: Member[] = [];
  readonly #transfers = new Map<number, { hooks: WorkerTransferHooks; member: Member }>();
  #next = 1;
  #closing?: Promise<void>;
  /** Resolves once every thread has loaded (a transfer posted before waits in its queue anyway). */
  readonly ready: Promise<void>;

  constructor(count: number, script: URL, onError: (err: Error) => void) {
    const loaded: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(entry(script));
      worker.unref();
      const member: Member = { worker, running: 0 };
      loaded.push(
        new Promise<void>((resolve) => {
          worker.once('message', () => resolve());
          worker.once('error', () => resolve());
          worker.once('exit', () => resolve());
        }),
      );
      worker.on('message', (message: FromWorker) => this.#receive(message));
      worker.on('error', (err) => {
        onError(err);
        // Its transfers are gone with it: tell the server each one ended.
        for (const [id, t] of this.#transfers) if (t.member === member) this.#ended(id, 0);
      });
      this.#members.push(member);
    }
    this.ready = Promise.all(loaded).then(() => undefined);
  }

  /** Starts a transfer on a worker; end(error?) stops it early. */
  run(start: StartMessage, hooks: WorkerTransferHooks): { end(error?: string): void } {
    const member = this.#members.reduce((a, b) => (b.running < a.running ? b : a));
    const id = this.#next++;
    member.running++;
    this.#transfers.set(id, { hooks, member });
    const message: ToWorker = { type: 'start', id, ...start };
    member.worker.postMessage(message);
    return { end: (error) => member.worker.postMessage({ type: 'end', id, ...(error === undefined ? {} : { error }) } satisfies ToWorker) };
  }

  /** Transfers not yet reported ended. */
  get running(): number {
    return this.#transfers.size;
  }

  /** Stops the threads (the server ends their transfers first). */
  close(): Promise<void> {
    this.#closing ??= Promise.all(this.#members.map((m) => m.worker.terminate())).then(() => undefined);
    return this.#closing;
  }

  #receive(message: FromWorker): void {
    if (message.type === 'ready') return;
    if (message.type === 'progress') {
      for (const [id, bytes, heard] of message.list) this.#transfers.get(id)?.hooks.progress(bytes, heard);
      return;
    }
    const hooks = this.#transfers.get(message.id)?.hooks;
    if (!hooks) return;
    switch (message.type) {
      case 'oack':
        return hooks.oack(new Map(message.accepted), message.blksize, message.windowsize);
      case 'finished':
        return hooks.finished(message.outcome, message.blksize, message.windowsize);
      case 'malformed':
        return hooks.malformed(message.err);
      case 'warn':
        return hooks.warn(message.fields, message.message);
      case 'failed':
        hooks.failed(message.err);
        return this.#ended(message.id, 0);
      case 'ended':
        return this.#ended(message.id, message.sent);
    }
  }

  #ended(id: number, sent: number): void {
    const t = this.#transfers.get(id);
    if (!t) return;
    this.#transfers.delete(id);
    t.member.running--;
    t.hooks.ended(sent);
  }
}
