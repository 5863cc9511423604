// The logger every library takes by injection; pino satisfies it, tests pass `silentLogger`
// or a `memoryLogger` to read what was logged.
import { pino } from 'pino';

export type LogFields = Record<string, unknown>;

/** The structured logger interface libraries receive (a subset of pino's). */
export interface Logger {
  debug(fields: LogFields, msg?: string): void;
  info(fields: LogFields, msg?: string): void;
  warn(fields: LogFields, msg?: string): void;
  error(fields: LogFields, msg?: string): void;
  child(bindings: LogFields): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Creates the process logger: one JSON line per event, to the given fd (stderr by default). */
export function createLogger(options: { level?: LogLevel; name?: string; fd?: number; buffered?: boolean; stream?: { write(line: string): void } } = {}): Logger & { flush(): void } {
  if (options.stream) {
    const logger = pino({ level: options.level ?? 'info', base: options.name ? { name: options.name } : null, timestamp: pino.stdTimeFunctions.isoTime }, options.stream);
    return Object.assign(logger, { flush: () => undefined });
  }
  // Buffered output writes asynchronously, batching lines logged while a write is in flight
  // (servers log every packet); flush() before exit.
  const destination = pino.destination({ fd: options.fd ?? 2, sync: !options.buffered });
  const logger = pino(
    { level: options.level ?? 'info', base: options.name ? { name: options.name } : null, timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
  return Object.assign(logger, { flush: () => destination.flushSync() });
}

const noop = (): void => {};

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

export interface MemoryRecord extends LogFields {
  level: Exclude<LogLevel, 'silent'>;
  msg?: string;
}

/** A logger that keeps records in memory, for tests that assert on what was logged. */
export function memoryLogger(records: MemoryRecord[] = [], bindings: LogFields = {}): Logger & { records: MemoryRecord[] } {
  const at = (level: MemoryRecord['level']) => (fields: LogFields, msg?: string) => {
    records.push({ ...bindings, ...fields, level, ...(msg === undefined ? {} : { msg }) });
  };
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => memoryLogger(records, { ...bindings, ...more }),
  };
}
