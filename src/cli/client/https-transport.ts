// Requests over HTTPS (or plain HTTP) with the kubeconfig's CA and client certificate, through
// one keep-alive agent. rest.ts imports this module at its first HTTPS request, so a CLI run that
// goes over the local unix socket never loads node:https (and with it tls and http).
import http, { type Agent, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { ClusterAccess } from './kubeconfig.ts';
import { ConnectionError } from './cli-errors.ts';
import type { RestResponse, Transport, WireRequest } from './transport.ts';

/** The transport to `access.server`. */
export function httpsTransport(access: ClusterAccess): Transport {
  const secure = access.server.startsWith('https:');
  let agent: Agent | undefined;
  const mod = secure ? https : http;
  return {
    send(req: WireRequest): Promise<RestResponse> {
      agent ??= secure
        ? new https.Agent({
            keepAlive: true,
            ...(access.ca ? { ca: access.ca } : {}),
            ...(access.clientCert ? { cert: access.clientCert } : {}),
            ...(access.clientKey ? { key: access.clientKey } : {}),
            rejectUnauthorized: !access.insecureSkipTlsVerify,
          })
        : new http.Agent({ keepAlive: true });
      const url = new URL(access.server.replace(/\/$/, '') + req.target);
      return new Promise((resolve, reject) => {
        const r = mod.request(url, { method: req.method, headers: req.headers, agent, ...(req.signal ? { signal: req.signal } : {}) }, (res) => resolve(wrap(res)));
        r.on('error', (err: NodeJS.ErrnoException) => {
          if (err.name === 'AbortError') reject(err);
          else reject(new ConnectionError(access.server, err.code ?? 'UNKNOWN', err));
        });
        r.end(req.body);
      });
    },
    close() {
      agent?.destroy();
    },
  };
}

function wrap(res: IncomingMessage): RestResponse {
  return {
    statusCode: res.statusCode ?? 0,
    headers: res.headers,
    destroy: () => res.destroy(),
    [Symbol.asyncIterator]: () => res[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
  };
}
