import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../lib/logger.ts';
import { createPxeMetrics } from '../metrics.ts';
import { startStatusSocket } from './status-socket.ts';

function get(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

test('serves /status and /metrics on a unix socket, replacing a stale one, and removes it on close', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxe-sock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'status.sock');
  await writeFile(path, 'stale');
  let calls = 0;
  const metrics = createPxeMetrics();
  const socket = await startStatusSocket({ path, status: () => ({ leases: [], calls: ++calls }), metrics, log: silentLogger });
  const status = await get(path, '/status');
  assert.equal(status.status, 200);
  assert.deepEqual(JSON.parse(status.body), { leases: [], calls: 1 });
  const m = await get(path, '/metrics');
  assert.equal(m.status, 200);
  assert.match(m.body, /^# HELP /m);
  const other = await get(path, '/files/x');
  assert.equal(other.status, 404);
  assert.match(other.body, /expected \/status or \/metrics/);
  await socket.close();
  assert.equal(existsSync(path), false);
});
