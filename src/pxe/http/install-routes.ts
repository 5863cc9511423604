// The HTTP side of the install state: POST /done/<token> (a host's install is done) and files
// under the root rendered per host from `<name>.tmpl`. server.ts dispatches here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger.ts';
import { renderTemplate, TEMPLATE_SUFFIX } from '../../resources/pxe-template.ts';
import { FileRefusedError, openConfined, type FileRoots } from '../files.ts';
import { doneUrl, hostValues } from '../host-values.ts';
import type { InstallStore } from '../install-store.ts';
import type { Timeline } from '../timeline.ts';
import { sendText } from './serve-file.ts';

/** A template larger than this is refused (templates are kickstarts and preseeds, not images). */
export const MAX_TEMPLATE_BYTES = 1 << 20;
/** A done request body larger than this is cut off (busybox sends what --post-data says). */
const MAX_DONE_BODY = 4096;

export interface InstallRouteContext {
  install: InstallStore;
  timeline: Timeline;
  log: Logger;
  roots: FileRoots;
  /** This server's base URL. */
  base: string;
}

/** POST /done/<token>: marks the token's host Provisioned (200), or 404 with no change. */
export async function answerDone(ctx: InstallRouteContext, req: IncomingMessage, res: ServerResponse, token: string, ip: string): Promise<void> {
  await drain(req);
  const result = ctx.install.complete(token);
  if (!result.ok) {
    // The token is never logged or echoed: it is the only secret of the install.
    ctx.timeline.record({ proto: 'http', event: 'refused', ip, path: '/done/…', status: 404, reason: `done token ${result.reason === 'expired' ? 'expired' : 'unknown'}` });
    return sendText(res, 404, 'not found: /done/…; expected the doneURL of a current boot\n');
  }
  await ctx.install.flush();
  const { host } = result;
  ctx.timeline.record({ proto: 'http', event: 'provisioned', ip, mac: host.mac, path: '/done/…', status: 200, image: host.image, reason: `install of ${host.image} done` });
  sendText(res, 200, `${host.mac} provisioned with ${host.image}\n`);
}

/**
 * Serves `<path>.tmpl` rendered for the asking host when it exists; resolves false (nothing sent)
 * when there is no template, so the plain file is served. The host is the query's `mac` or the
 * one the timeline last saw at the client's address.
 */
export async function serveTemplate(ctx: InstallRouteContext, req: IncomingMessage, res: ServerResponse, path: string, who: { ip: string; mac?: string }): Promise<boolean> {
  if (path.endsWith(TEMPLATE_SUFFIX)) return false;
  let opened;
  try {
    opened = await openConfined(ctx.roots, `${path}${TEMPLATE_SUFFIX}`);
  } catch (err) {
    if (err instanceof FileRefusedError) return false;
    throw err;
  }
  const { handle, size } = opened;
  let text: string;
  try {
    if (size > MAX_TEMPLATE_BYTES) {
      ctx.timeline.record({ proto: 'http', event: 'error', ip: who.ip, file: path, status: 413, error: `template ${path}${TEMPLATE_SUFFIX} is ${size} bytes, over ${MAX_TEMPLATE_BYTES}` });
      sendText(res, 500, `expected a template of at most ${MAX_TEMPLATE_BYTES} bytes, found ${size} bytes in ${path}${TEMPLATE_SUFFIX}\n`);
      return true;
    }
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  const mac = who.mac ?? ctx.timeline.macForIp(who.ip);
  const token = mac === undefined ? undefined : ctx.install.currentToken(mac);
  const image = mac === undefined ? undefined : ctx.install.hosts().find((h) => h.mac === mac)?.image;
  const values = hostValues({ mac, ip: who.ip, image, baseUrl: ctx.base, doneURL: token === undefined ? undefined : doneUrl(ctx.base, token) });
  const rendered = renderTemplate(text, values);
  // Unknown variables stay as written (a kickstart may carry another tool's {{…}}); logged once per render.
  if (rendered.unknown.length > 0) ctx.log.warn({ file: `${path}${TEMPLATE_SUFFIX}`, unknown: rendered.unknown }, `template ${path}${TEMPLATE_SUFFIX}: left unknown variables as written: ${rendered.unknown.join(', ')}`);
  const missing = ['mac', 'doneURL'].filter((k) => (k === 'mac' ? mac : token) === undefined);
  const body = Buffer.from(rendered.text);
  ctx.timeline.record({ proto: 'http', event: 'template', ip: who.ip, ...(mac === undefined ? {} : { mac }), file: path, status: 200, size: body.length, ...(missing.length ? { reason: `rendered without ${missing.join(', ')} (host not known from a boot)` } : {}) });
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

async function drain(req: IncomingMessage): Promise<void> {
  let seen = 0;
  await new Promise<void>((resolve) => {
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > MAX_DONE_BODY) req.destroy();
    });
    req.on('end', resolve);
    req.on('close', resolve);
    req.on('error', () => resolve());
  });
}
