// /status and /metrics on a unix socket (`pxe serve --status-socket PATH`): a supervisor in
// another network namespace (the pxevirt daemon) cannot reach the server's address, but it
// can reach a socket in the server's run dir.
import { createServer } from 'node:http';
import { rm } from 'node:fs/promises';
import type { Logger } from '../../lib/logger.ts';
import { normalizeMac } from '../../lib/mac.ts';
import type { PxeMetrics } from '../metrics.ts';
import { formatCauses } from '../../resources/causes.ts';
import { parsePxeVms, type PxeVm } from '../../resources/pxe-server.ts';

export interface StatusSocketOptions {
  path: string;
  /** The /status document (the same as on the HTTP port). */
  status: () => Record<string, unknown>;
  metrics: PxeMetrics;
  log: Logger;
  /** POST /reprovision?mac=M[&provisionedBefore=TIME]: send a host back to install; true when it changed. */
  reprovision?: (mac: string, provisionedBefore?: string) => Promise<boolean>;
  /** PUT /vms with a JSON list: replaces the VM inventory host selectors choose from (vmSelector, vmName). */
  replaceVms?: (vms: PxeVm[]) => void;
}

/** The largest PUT /vms body. */
export const MAX_VMS_BODY = 4 << 20;

export interface StatusSocket {
  close(): Promise<void>;
}

/** Listens on the unix socket (replacing a stale one) and answers GET /status and /metrics. */
export async function startStatusSocket(options: StatusSocketOptions): Promise<StatusSocket> {
  const server = createServer((req, res) => {
    const [path, queryText] = (req.url ?? '/').split('?', 2);
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path === '/reprovision' && options.reprovision) {
      if (req.method !== 'POST') return send(405, 'text/plain; charset=utf-8', `method ${req.method ?? ''} not allowed on /reprovision; expected POST\n`);
      const query = new URLSearchParams(queryText ?? '');
      const mac = normalizeMac(query.get('mac') ?? '');
      const before = query.get('provisionedBefore') ?? undefined;
      if (mac === undefined) return send(400, 'text/plain; charset=utf-8', `expected mac=<MAC address like de:00:00:00:00:de>, found ${JSON.stringify(query.get('mac') ?? '')}\n`);
      if (before !== undefined && Number.isNaN(Date.parse(before))) return send(400, 'text/plain; charset=utf-8', `expected provisionedBefore=<RFC 3339 time>, found ${JSON.stringify(before)}\n`);
      req.resume();
      options.reprovision(mac, before).then(
        (changed) => send(200, 'application/json; charset=utf-8', `${JSON.stringify({ mac, changed })}\n`),
        (err: unknown) => send(500, 'text/plain; charset=utf-8', `reprovision failed: ${String(err)}\n`),
      );
      return;
    }
    if (path === '/vms' && options.replaceVms) {
      if (req.method !== 'PUT') return send(405, 'text/plain; charset=utf-8', `method ${req.method ?? ''} not allowed on /vms; expected PUT\n`);
      const replace = options.replaceVms;
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_VMS_BODY) return void (send(413, 'text/plain; charset=utf-8', `expected a body of at most ${MAX_VMS_BODY} bytes\n`), req.destroy());
        chunks.push(chunk);
      });
      req.on('end', () => {
        let doc: unknown;
        try {
          doc = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          return send(400, 'text/plain; charset=utf-8', `expected a JSON list of VMs, found invalid JSON: ${(err as Error).message}\n`);
        }
        const { value, causes } = parsePxeVms(doc);
        if (!value) return send(400, 'text/plain; charset=utf-8', `${formatCauses(causes)}\n`);
        replace(value);
        send(200, 'application/json; charset=utf-8', `${JSON.stringify({ vms: value.length })}\n`);
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', `method ${req.method ?? ''} not allowed; expected GET or HEAD\n`);
    if (path === '/status') return send(200, 'application/json; charset=utf-8', `${JSON.stringify(options.status())}\n`);
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => send(200, options.metrics.registry.contentType, text),
        (err: unknown) => send(500, 'text/plain; charset=utf-8', `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    send(404, 'text/plain; charset=utf-8', `not found: ${path}; expected /status or /metrics\n`);
  });
  await rm(options.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on status socket ${options.path}: ${err.message}`, { cause: err })));
    server.listen(options.path, () => resolve());
  });
  server.on('error', (err) => options.log.error({ err }, 'status socket error'));
  let closing: Promise<void> | undefined;
  return {
    close() {
      // After `pxe serve --user` the socket's directory may be closed to us: the next start removes it.
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => rm(options.path, { force: true }).catch((err: NodeJS.ErrnoException) => options.log.debug({ path: options.path, err: err.code }, 'status socket left for the next start to remove')));
      return closing;
    },
  };
}
