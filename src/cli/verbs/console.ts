// `pxevirt console NAME` (virtctl console): waits while the VMI is not running, then joins
// the terminal to the guest's serial console — raw mode on a TTY, Ctrl+] (byte 29, also
// what Ctrl+5 sends) leaves — and always gives the terminal back as it found it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { ApiStatusError } from '../client/cli-errors.ts';
import { openWebSocket, vmiSubresourcePath } from '../client/websocket.ts';
import type { Session } from './session.ts';

/** The byte Ctrl+] (and Ctrl+5) sends. */
export const ESCAPE_BYTE = 29;

/** The terminal the console runs in; the entry point passes the process's. */
export interface ConsoleTerminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Switches raw mode; absent when the input is not a TTY. */
  setRaw?: (raw: boolean) => void;
}

export interface ConsoleOptions {
  /** Minutes to wait for the VMI to run (default 5). */
  timeoutMinutes?: number;
  terminal: ConsoleTerminal;
  /** Aborts the session (signals): the terminal is restored and the call resolves. */
  signal?: AbortSignal;
}

/** Raised when the VMI did not run within the timeout. */
export class ConsoleTimeoutError extends Error {
  constructor(
    readonly vmi: string,
    readonly minutes: number,
    readonly lastAnswer: string,
  ) {
    super(`timed out after ${minutes} min waiting to connect to the console of VMI ${vmi} (last answer: ${lastAnswer})`);
    this.name = 'ConsoleTimeoutError';
  }
}

/** Raised when the server ended the session (the guest stopped, or an error). */
export class ConsoleClosedError extends Error {
  constructor(
    readonly vmi: string,
    readonly code: number,
    readonly reason: string,
  ) {
    super(`the console of VMI ${vmi} was closed (${code}${reason ? `: ${reason}` : ''})`);
    this.name = 'ConsoleClosedError';
  }
}

/** Connects, retrying every second while the server answers 400 (KubeVirt: not running yet). */
export async function connectWhenRunning(session: Session, name: string, subresource: string, minutes: number, signal?: AbortSignal): Promise<WebSocket> {
  const deadline = Date.now() + minutes * 60_000;
  const path = vmiSubresourcePath(session.namespace, name, subresource);
  for (;;) {
    try {
      return await openWebSocket(session.access, path);
    } catch (err) {
      if (!(err instanceof ApiStatusError) || err.httpCode !== 400) throw err;
      if (Date.now() >= deadline) throw new ConsoleTimeoutError(name, minutes, err.message);
      if (signal?.aborted) throw err;
      await sleep(1000, undefined, signal ? { signal } : {}).catch(() => undefined);
      if (signal?.aborted) throw err;
    }
  }
}

/** Runs the console until Ctrl+], end of input, a signal, or the server closing it. */
export async function consoleVerb(session: Session, name: string, options: ConsoleOptions): Promise<void> {
  const ws = await connectWhenRunning(session, name, 'console', options.timeoutMinutes ?? 5, options.signal);
  const { input, output, setRaw } = options.terminal;
  session.io.err(`Successfully connected to ${name} console. Press Ctrl+] or Ctrl+5 to exit console.\n`);
  let raw = false;
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      input.off('data', onInput);
      input.off('end', onEnd);
      input.pause();
      options.signal?.removeEventListener('abort', onAbort);
      if (raw) setRaw?.(false);
      raw = false;
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000);
      if (err) reject(err);
      else resolve();
    };
    const onInput = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const at = bytes.indexOf(ESCAPE_BYTE);
      const send = at >= 0 ? bytes.subarray(0, at) : bytes;
      if (send.length > 0 && ws.readyState === ws.OPEN) ws.send(send, { binary: true });
      if (at >= 0) {
        finish();
        session.io.err('\n');
      }
    };
    const onEnd = () => finish();
    const onAbort = () => finish();
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      output.write(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    });
    ws.on('close', (code, reason) => {
      const text = reason.toString();
      if (done) return;
      // 1000 is a normal close (e.g. another session took over): say why, exit 0.
      if (code === 1000) {
        finish();
        session.io.err(`\nconsole closed${text ? `: ${text}` : ''}\n`);
      } else finish(new ConsoleClosedError(name, code, text));
    });
    ws.on('error', (err) => finish(err));
    if (options.signal?.aborted) return finish();
    options.signal?.addEventListener('abort', onAbort);
    if (setRaw) {
      setRaw(true);
      raw = true;
    }
    input.on('data', onInput);
    input.on('end', onEnd);
    input.resume();
    ws.resume();
  });
}
