// A client for `pxe serve --status-socket`: GET /status (JSON) or /metrics over the unix socket.
import { request } from 'node:http';

/** GETs a path on the server's status socket; rejects unless 200. */
export function statusRequest(socketPath: string, path = '/status', timeoutMs = 3000, method: 'GET' | 'POST' | 'PUT' = 'GET', body?: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`status socket ${socketPath}${path}: expected 200, found ${res.statusCode}: ${text.trim()}`));
        try {
          resolve(path === '/status' || method !== 'GET' ? JSON.parse(text) : text);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`status socket ${socketPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}


/** Sends a host back to install (POST /reprovision); `provisionedBefore` makes it apply only to an older install. */
export async function reprovisionRequest(socketPath: string, mac: string, provisionedBefore?: string, timeoutMs = 3000): Promise<{ mac: string; changed: boolean }> {
  const q = new URLSearchParams({ mac, ...(provisionedBefore === undefined ? {} : { provisionedBefore }) });
  return (await statusRequest(socketPath, `/reprovision?${q.toString()}`, timeoutMs, 'POST')) as { mac: string; changed: boolean };
}

/** Replaces the server's VM inventory (PUT /vms): what vmSelector and vmName host entries choose from. */
export async function replaceVmsRequest(socketPath: string, vms: readonly unknown[], timeoutMs = 3000): Promise<{ vms: number }> {
  return (await statusRequest(socketPath, '/vms', timeoutMs, 'PUT', JSON.stringify(vms))) as { vms: number };
}
