// GET/HEAD of a file under the root or the virtual ipxe/ directory: confined by
// openConfined(), single ranges answered with 206, streamed from the open handle.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../lib/logger.ts';
import { FileRefusedError, openConfined, type FileRoots } from '../files.ts';
import type { PxeMetrics } from '../metrics.ts';
import type { Timeline } from '../timeline.ts';
import type { Transfers } from '../transfers.ts';
import { planRange } from './range.ts';

export interface FileServeContext {
  roots: FileRoots;
  log: Logger;
  timeline: Timeline;
  metrics: PxeMetrics;
  transfers: Transfers;
}

/** Who asked: the remote address and, when the query carried one, the MAC. */
export interface Requester {
  ip: string;
  mac?: string;
}

/** Serves one file request to completion (or until the client goes away); never throws. */
export async function serveFile(ctx: FileServeContext, req: IncomingMessage, res: ServerResponse, requested: string, who: Requester): Promise<void> {
  const base = { proto: 'http' as const, ip: who.ip, ...(who.mac === undefined ? {} : { mac: who.mac }), file: requested };
  let opened;
  try {
    opened = await openConfined(ctx.roots, requested);
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err;
    const status = err.code === 'denied' ? 403 : 404;
    ctx.metrics.errors.inc({ proto: 'http', kind: 'refused' });
    ctx.timeline.record({ ...base, event: 'error', status, error: err.message });
    sendText(res, status, `${status === 403 ? 'refused' : 'not found'}: ${err.message}\n`);
    return;
  }

  const { handle, size } = opened;
  const range = req.headers.range;
  const plan = planRange(size, range);
  const rangeField = range === undefined ? {} : { range };
  if (plan.status === 416) {
    await handle.close();
    ctx.timeline.record({ ...base, event: 'error', status: 416, size, ...rangeField, error: `range ${range ?? ''} is outside the file of ${size} bytes` });
    res.writeHead(416, { 'Content-Range': plan.contentRange, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`expected a range within 0-${Math.max(size - 1, 0)}, found ${range ?? ''}\n`);
    return;
  }

  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': plan.length,
    'Accept-Ranges': 'bytes',
  };
  if (plan.status === 206) headers['Content-Range'] = plan.contentRange;
  ctx.timeline.record({ ...base, event: 'get', method: req.method, status: plan.status, size, ...rangeField });
  res.writeHead(plan.status, headers);
  if (req.method === 'HEAD' || plan.length === 0) {
    await handle.close();
    res.end();
    return;
  }

  const transfer = ctx.transfers.start({ proto: 'http', file: requested, ip: who.ip, ...(who.mac === undefined ? {} : { mac: who.mac }), size: plan.length });
  const started = Date.now();
  let bytes = 0;
  const stream = handle.createReadStream({ start: plan.start, end: plan.end, autoClose: true });
  stream.on('data', (chunk: Buffer | string) => {
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    bytes += n;
    ctx.metrics.httpBytes.inc(n);
    transfer.progress(bytes);
  });
  try {
    await pipeline(stream, res);
    ctx.timeline.record({ ...base, event: 'done', status: plan.status, size, bytes, ...rangeField, ms: Date.now() - started });
  } catch (err) {
    // Usually the client closed the connection early; the handle is closed by the stream.
    ctx.metrics.errors.inc({ proto: 'http', kind: 'io' });
    ctx.timeline.record({ ...base, event: 'error', status: plan.status, size, bytes, ...rangeField, error: (err as Error).message });
  } finally {
    transfer.end();
    if (!stream.destroyed) stream.destroy();
  }
}

/** Sends a short plain-text answer. */
export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
