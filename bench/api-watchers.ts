// The API bench's watchers, in their own process so that the bench's patch client and its
// watch streams do not share one event loop. Each watcher is one raw TLS connection with a
// hand-written GET ?watch=true; the stream is not parsed as JSON: a MODIFIED event is found by
// its `"bench-seq":"N"` label and timestamped with the monotonic clock (process.hrtime, the same
// clock as the parent's), so the bench measures the server rather than its own JSON parsing.
// Driven by the parent over IPC: {start} → 'opened' → (events flow) → {finish} → the receipts.
import { connect, type TLSSocket } from 'node:tls';

export interface WatchersStart {
  type: 'start';
  port: number;
  ca: string;
  token: string;
  /** The watch path, query included. */
  path: string;
  watchers: number;
  /** Distinct seqs each watcher must receive; 'complete' is reported when all have them. */
  updates: number;
}

export type WatchersReport =
  | { type: 'opened' }
  | { type: 'complete' }
  | { type: 'failed'; message: string }
  /** Per watcher: the seqs received, in order, and when (µs on the monotonic clock). */
  | { type: 'receipts'; seqs: number[][]; atUs: number[][] };

const MARK = '"bench-seq":"';
const ERROR_EVENT = '{"type":"ERROR"';

/** Finds the bench-seq values in `text` from `from`; returns them and where scanning may resume. */
export function scanSeqs(text: string, from = 0): { seqs: number[]; resume: number; error: boolean } {
  const seqs: number[] = [];
  let at = from;
  for (;;) {
    const i = text.indexOf(MARK, at);
    if (i < 0) break;
    const end = text.indexOf('"', i + MARK.length);
    if (end < 0) return { seqs, resume: i, error: text.includes(ERROR_EVENT, from) };
    seqs.push(Number(text.slice(i + MARK.length, end)));
    at = end + 1;
  }
  // Keep a tail long enough to hold a mark split across two reads.
  return { seqs, resume: Math.max(at, text.length - MARK.length), error: text.includes(ERROR_EVENT, from) };
}

function run(start: WatchersStart, send: (r: WatchersReport, then?: () => void) => void): { finish(then: () => void): void } {
  const seqs: number[][] = [];
  const atUs: number[][] = [];
  const sockets: TLSSocket[] = [];
  let opened = 0;
  let complete = 0;
  let failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    send({ type: 'failed', message });
  };
  for (let w = 0; w < start.watchers; w++) {
    const mine: number[] = [];
    const times: number[] = [];
    seqs.push(mine);
    atUs.push(times);
    const seen = new Set<number>();
    let text = '';
    let headers = true;
    const socket = connect({ host: '127.0.0.1', port: start.port, ca: start.ca, servername: 'localhost' });
    sockets.push(socket);
    socket.setEncoding('latin1');
    socket.on('secureConnect', () => {
      socket.write(`GET ${start.path} HTTP/1.1\r\nhost: 127.0.0.1:${start.port}\r\nauthorization: Bearer ${start.token}\r\naccept: application/json\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      const at = Number(process.hrtime.bigint() / 1000n);
      text += chunk;
      if (headers) {
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!text.startsWith('HTTP/1.1 200')) return fail(`watcher ${w}: ${text.slice(0, text.indexOf('\r\n'))}`);
        headers = false;
        text = text.slice(end + 4);
        if (++opened === start.watchers) send({ type: 'opened' });
      }
      const found = scanSeqs(text);
      if (found.error) return fail(`watcher ${w} got an ERROR event: ${text.slice(text.indexOf(ERROR_EVENT), 400)}`);
      for (const seq of found.seqs) {
        if (seen.has(seq)) continue;
        seen.add(seq);
        mine.push(seq);
        times.push(at);
        if (mine.length === start.updates && ++complete === start.watchers) send({ type: 'complete' });
      }
      text = text.slice(found.resume);
    });
    socket.on('error', (err) => fail(`watcher ${w}: ${err.message}`));
    socket.on('end', () => fail(`watcher ${w}: the stream ended before the bench finished`));
  }
  return {
    finish(then) {
      for (const s of sockets) {
        s.removeAllListeners('end');
        s.removeAllListeners('error');
        s.on('error', () => undefined);
        s.destroy();
      }
      send({ type: 'receipts', seqs, atUs }, then);
    },
  };
}

if (process.send) {
  let current: ReturnType<typeof run> | undefined;
  const send = (r: WatchersReport, then?: () => void) => process.send?.(r, undefined, {}, () => then?.());
  process.on('message', (m: WatchersStart | { type: 'finish' }) => {
    if (m.type === 'start') current = run(m, send);
    // Disconnect only once the (large) receipts message is written.
    else current?.finish(() => process.disconnect());
  });
}
