// A client for `pxe serve --status-socket`: GET /status (JSON) or /metrics over the unix socket.
import { request } from 'node:http';

/** GETs a path on the server's status socket; rejects unless 200. */
export function statusRequest(socketPath: string, path = '/status', timeoutMs = 3000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`status socket ${socketPath}${path}: expected 200, found ${res.statusCode}: ${text.trim()}`));
        try {
          resolve(path === '/status' ? JSON.parse(text) : text);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`status socket ${socketPath}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

