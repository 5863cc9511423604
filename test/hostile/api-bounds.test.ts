// The API under attack from a client: patch bombs, oversized objects and annotations, bodies
// from anyone without the token, slow and surplus connections. Each is refused with a 4xx
// within a second, the daemon's memory stays bounded, the token holder is still served, and
// nothing stored changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { startDaemonProcess, type DaemonProcess } from '../api/daemon-process.ts';

const NADS = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';
const CONFIG = '{"cniVersion":"0.3.1","name":"pxe","type":"bridge","bridge":"br-pxe"}';

const rssBytes = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function withNad(d: DaemonProcess, name: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const created = await d.http('POST', NADS, { body: JSON.stringify({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name }, spec: { config: CONFIG } }), contentType: 'application/json' });
  assert.equal(created.status, 201, created.body);
  return created.json();
}

async function assertUnchanged(d: DaemonProcess, name: string, before: Record<string, any>): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const now = await d.http('GET', `${NADS}/${name}`);
  assert.equal(now.status, 200);
  assert.deepEqual(now.json(), before, 'a refused request changed nothing stored');
}

/** Times an async call. */
async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await f();
  return { value, ms: performance.now() - started };
}

test('API bounds against a hostile client', async (t) => {
  const d = await startDaemonProcess(t);
  const pid = d.child.pid!;
  const ca = readFileSync(join(d.dataDir, 'ca.crt'));
  const baseline = rssBytes(pid);

  await t.test('a 1 KiB JSON patch of 22 doubling copies is refused with 422 without the daemon building it', { timeout: 30_000 }, async () => {
    const before = await withNad(d, 'bomb');
    const ops: unknown[] = [{ op: 'add', path: '/spec/bomb', value: ['x'.repeat(100)] }];
    for (let i = 0; i < 22; i++) ops.push({ op: 'copy', from: '/spec/bomb', path: '/spec/bomb/-' });
    const body = JSON.stringify(ops);
    assert.ok(body.length < 2048);
    const r = await d.http('PATCH', `${NADS}/bomb`, { body, contentType: 'application/json-patch+json' });
    assert.equal(r.status, 422, r.body);
    assert.match(String(r.json().message), /accumulated size increase of copy is \d+, exceeding the limit 3145728/);
    // Not timed (the machine's load decides wall time): the RSS bound shows the copies were never built.
    assert.ok(rssBytes(pid) - baseline < 100 * 1024 * 1024, `daemon RSS grew by ${(rssBytes(pid) - baseline) >> 20} MiB`);
    await assertUnchanged(d, 'bomb', before);
  });

  await t.test('a JSON patch of more than 10000 operations is a 413', { timeout: 30_000 }, async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'NetworkAttachmentDefinition' }));
    const r = await d.http('PATCH', `${NADS}/bomb`, { body: JSON.stringify(ops), contentType: 'application/json-patch+json' });
    assert.equal(r.status, 413, r.body);
    assert.match(String(r.json().message), /The allowed maximum operations in a JSON patch is 10000, got 10001/);
  });

  await t.test('annotations over 256 KiB in total are refused with apimachinery\'s message, on create and on patch', { timeout: 30_000 }, async () => {
    const before = await withNad(d, 'annotated');
    const annotations = Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`example.com/a${i}`, 'v'.repeat(90 * 1024)]));
    const patched = await d.http('PATCH', `${NADS}/annotated`, { body: JSON.stringify({ metadata: { annotations } }), contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 422, patched.body);
    assert.match(String(patched.json().message), /metadata\.annotations: Too long: must have at most 262144 bytes/);
    await assertUnchanged(d, 'annotated', before);
    const created = await d.http('POST', NADS, { body: JSON.stringify({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'flood', annotations }, spec: { config: CONFIG } }), contentType: 'application/json' });
    assert.equal(created.status, 422, created.body);
    assert.equal((await d.http('GET', `${NADS}/flood`)).status, 404);
  });

  await t.test('an object over 1.5 MiB is refused with 413, by create and by patch', { timeout: 30_000 }, async () => {
    const before = await withNad(d, 'big');
    const huge = 'x'.repeat(2 * 1024 * 1024);
    const created = await d.http('POST', NADS, { body: JSON.stringify({ apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'huge' }, spec: { config: huge } }), contentType: 'application/json' });
    assert.equal(created.status, 413, created.body);
    assert.match(String(created.json().message), /limit is 1572864/);
    const patched = await d.http('PATCH', `${NADS}/big`, { body: JSON.stringify({ spec: { config: huge } }), contentType: 'application/merge-patch+json' });
    assert.equal(patched.status, 413, patched.body);
    await assertUnchanged(d, 'big', before);
    assert.equal((await d.http('GET', `${NADS}/huge`)).status, 404);
  });

  await t.test('bodies from 100 connections without the token get 401 before the body is read; the token holder is still served fast', { timeout: 30_000 }, async () => {
    const before = await withNad(d, 'flooded');
    const floodBaseline = rssBytes(pid);
    const sockets: TLSSocket[] = [];
    t.after(() => sockets.forEach((s) => s.destroy()));
    const chunk = Buffer.alloc(256 * 1024, 0x7b);
    const answers = Array.from({ length: 100 }, () =>
      new Promise<{ status: number; ms: number }>((resolve, reject) => {
        const started = performance.now();
        const s = tlsConnect({ host: '127.0.0.1', port: d.port, ca }, () => {
          s.write(`POST ${NADS} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${3 * 1024 * 1024}\r\n\r\n`);
          // 1 MiB of the 3 declared, then nothing: a server that waits for the body never answers.
          for (let i = 0; i < 4; i++) s.write(chunk);
        });
        sockets.push(s);
        let text = '';
        s.on('data', (b: Buffer) => {
          text += b.toString('latin1');
          const m = /^HTTP\/1\.1 (\d+)/.exec(text);
          if (m) resolve({ status: Number(m[1]), ms: performance.now() - started });
        });
        s.on('error', () => undefined);
        s.on('close', () => reject(new Error(`connection closed with no answer: ${JSON.stringify(text.slice(0, 80))}`)));
      }),
    );
    const get = await timed(() => d.http('GET', `${NADS}/flooded`));
    const results = await Promise.all(answers);
    assert.ok(results.every((r) => r.status === 401), `statuses ${[...new Set(results.map((r) => r.status))].join(',')}`);
    // Every 401 came while 2 of the 3 declared MiB were never sent: answered before the body, whatever the load.
    assert.equal(get.value.status, 200);
    assert.ok(get.ms < 10_000, `authenticated get took ${get.ms} ms during the flood`);
    assert.ok(rssBytes(pid) - floodBaseline < 64 * 1024 * 1024, `daemon RSS grew by ${(rssBytes(pid) - floodBaseline) >> 20} MiB`);
    await assertUnchanged(d, 'flooded', before);
  });

  await t.test('a client that never finishes its headers is disconnected (slowloris)', { timeout: 30_000 }, async () => {
    const s = tlsConnect({ host: '127.0.0.1', port: d.port, ca });
    t.after(() => s.destroy());
    s.on('error', () => undefined);
    await new Promise((resolve) => s.once('secureConnect', resolve));
    s.write('GET /version HTTP/1.1\r\nHost: x\r\n');
    const started = performance.now();
    let text = '';
    s.on('data', (b: Buffer) => (text += b.toString('latin1')));
    await new Promise((resolve) => s.once('close', resolve));
    const ms = performance.now() - started;
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.ok(ms < 15_000, `closed after ${ms} ms`);
  });

  await t.test('connections past 512 are refused at accept, and the slots come back', { timeout: 30_000 }, async () => {
    const held: Socket[] = [];
    t.after(() => held.forEach((s) => s.destroy()));
    const open = () =>
      new Promise<Socket>((resolve, reject) => {
        const s = tcpConnect({ host: '127.0.0.1', port: d.port }, () => resolve(s));
        s.on('error', reject);
      });
    for (let i = 0; i < 512; i++) held.push(await open());
    const surplus = await open();
    held.push(surplus);
    surplus.on('error', () => undefined);
    await new Promise((resolve) => surplus.once('close', resolve));
    held.forEach((s) => s.destroy());
    const after = await d.http('GET', '/version');
    assert.equal(after.status, 200);
  });
});
