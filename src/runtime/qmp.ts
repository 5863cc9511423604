// A minimal QMP (QEMU Machine Protocol) client over a unix socket: greeting, capability
// negotiation, commands with ids, and asynchronous events (SHUTDOWN, POWERDOWN, STOP …).
import { createConnection, type Socket } from 'node:net';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
}

/** QEMU answered a command with an error. */
export class QmpError extends Error {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(`QMP ${command}: ${errorClass}: ${desc}`);
    this.name = 'QmpError';
  }
}

/** The socket closed, could not be reached, or did not answer in time. */
export class QmpConnectionError extends Error {
  constructor(
    readonly socketPath: string,
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`QMP ${socketPath}: ${what}`, options);
    this.name = 'QmpConnectionError';
  }
}

export interface QmpConnectOptions {
  signal?: AbortSignal;
  /** For the connection, the greeting and qmp_capabilities together; default 10 s. */
  timeoutMs?: number;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/** A QMP session in command mode. */
export class QmpClient {
  private buffer = '';
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private greeting: ((value: Record<string, unknown>) => void) | undefined;
  private closeError: Error | undefined;
  /** Resolves when the socket has closed (QEMU exited or close() was called). */
  readonly closed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    readonly socketPath: string,
  ) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      const err = this.closeError ?? new QmpConnectionError(socketPath, 'connection closed');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  /** Connects, reads the greeting and enters command mode. */
  static async connect(socketPath: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(socketPath);
      const fail = (err: unknown) => {
        s.destroy();
        reject(new QmpConnectionError(socketPath, `cannot connect: ${(err as Error).message ?? String(err)}`, { cause: err }));
      };
      s.once('connect', () => {
        s.removeListener('error', fail);
        signal.removeEventListener('abort', onAbort);
        resolve(s);
      });
      s.once('error', fail);
      const onAbort = () => fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    const client = new QmpClient(socket, socketPath);
    try {
      await client.withSignal(new Promise<Record<string, unknown>>((resolve) => (client.greeting = resolve)), 'greeting', signal);
      await client.execute('qmp_capabilities', undefined, { signal });
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** Runs a command; resolves with its `return` value, rejects with QmpError. */
  execute(command: string, args?: Record<string, unknown>, options: { signal?: AbortSignal } = {}): Promise<unknown> {
    if (this.socket.destroyed) return Promise.reject(new QmpConnectionError(this.socketPath, `connection closed before ${command}`));
    const id = String(this.nextId++);
    const result = new Promise<unknown>((resolve, reject) => this.pending.set(id, { command, resolve, reject }));
    this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id })}\n`);
    return options.signal ? this.withSignal(result, command, options.signal, () => this.pending.delete(id)) : result;
  }

  /** Subscribes to events; returns the unsubscribe function. */
  onEvent(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closeError ??= new QmpConnectionError(this.socketPath, 'closed by the client');
    this.socket.destroy();
  }

  private withSignal<T>(promise: Promise<T>, what: string, signal: AbortSignal, onAbort?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abort = () => {
        onAbort?.();
        const reason = signal.reason instanceof Error && signal.reason.name === 'TimeoutError' ? 'timed out' : 'aborted';
        reject(new QmpConnectionError(this.socketPath, `${reason} waiting for ${what}`, { cause: signal.reason }));
      };
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      const done = () => signal.removeEventListener('abort', abort);
      promise.then(
        (v) => {
          done();
          resolve(v);
        },
        (err: unknown) => {
          done();
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
      // The greeting never rejects by itself: a closed socket must end the wait too.
      void this.closed.then(() => {
        done();
        reject(new QmpConnectionError(this.socketPath, `connection closed waiting for ${what}`));
      });
    });
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line === '') continue;
      let message: Record<string, unknown>;
      try {
        message = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    if ('QMP' in message) {
      this.greeting?.(message);
      this.greeting = undefined;
    } else if (typeof message.event === 'string') {
      for (const l of this.listeners) l(message as unknown as QmpEvent);
    } else if ('return' in message || 'error' in message) {
      const id = typeof message.id === 'string' ? message.id : String(message.id);
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      if ('error' in message) {
        const e = (message.error ?? {}) as { class?: string; desc?: string };
        p.reject(new QmpError(p.command, e.class ?? 'GenericError', e.desc ?? ''));
      } else p.resolve(message.return);
    }
  }
}
