// Opens KubeVirt's websocket subresources (console, vnc) with the kubeconfig's server, CA and
// credentials; an HTTP error answer becomes the same ApiStatusError a REST call would throw.
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { ClusterAccess } from './kubeconfig.ts';
import { ConnectionError } from './cli-errors.ts';
import { errorFrom, withQuery, type Query } from './rest.ts';

/** The subprotocol of console and vnc: raw bytes in binary frames. */
export const PLAIN_PROTOCOL = 'plain.kubevirt.io';

/** The path of a VMI subresource under subresources.kubevirt.io/v1. */
export function vmiSubresourcePath(namespace: string, name: string, subresource: string): string {
  return `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(namespace)}/virtualmachineinstances/${encodeURIComponent(name)}/${subresource}`;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Opens the websocket; resolves once it is open and paused (call resume()), rejects with ApiStatusError or ConnectionError. */
export function openWebSocket(access: ClusterAccess, path: string, query: Query = {}): Promise<WebSocket> {
  const url = access.server.replace(/\/$/, '').replace(/^http/, 'ws') + withQuery(path, query);
  const ws = new WebSocket(url, [PLAIN_PROTOCOL], {
    headers: { 'User-Agent': 'pxevirt-cli', ...(access.token ? { Authorization: `Bearer ${access.token}` } : {}) },
    handshakeTimeout: 30_000,
    ...(access.ca ? { ca: access.ca } : {}),
    ...(access.clientCert ? { cert: access.clientCert } : {}),
    ...(access.clientKey ? { key: access.clientKey } : {}),
    rejectUnauthorized: !access.insecureSkipTlsVerify,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    ws.once('open', () => {
      settled = true;
      // Paused until the caller has its listeners on: the guest may speak at once.
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (req, res) => {
      settled = true;
      readAll(res).then((text) => {
        req.destroy();
        reject(errorFrom(res.statusCode ?? 0, text));
      });
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      reject(new ConnectionError(access.server, err.code ?? 'UNKNOWN', err));
    });
  });
}
