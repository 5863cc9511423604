// A watcher that reconnects with the last resourceVersion it saw misses nothing: not when its
// connection drops while writes go on, and not across a kill -9 of the daemon in the middle of
// creates, patches and deletes (every acknowledged write after that version arrives, in order,
// once, with its type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { startDaemonProcess, tempDataDir, type DaemonProcess } from './daemon-process.ts';

const NADS = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';

const nad = (name: string) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, labels: { batch: 'resume' } },
  spec: { config: JSON.stringify({ cniVersion: '0.3.1', name, type: 'bridge', bridge: 'br1' }) },
});

interface Seen {
  type: string;
  rv: number;
  name: string;
}

/** Watches from `from`; calls `onEvent` per event; `stop()` drops the connection. */
function watch(d: DaemonProcess, from: string, onEvent: (e: Seen) => void): { stop: () => void; ended: Promise<void> } {
  const ca = readFileSync(join(d.dataDir, 'ca.crt'));
  let stop = () => undefined as void;
  const ended = new Promise<void>((done) => {
    const req = request({ host: '127.0.0.1', port: d.port, path: `${NADS}?watch=1&allowWatchBookmarks=1&resourceVersion=${from}`, ca, headers: { authorization: `Bearer ${d.token}` } }, (res) => {
      let buffered = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const e = JSON.parse(buffered.slice(0, nl)) as { type: string; object: { metadata: { resourceVersion: string; name?: string } } };
          buffered = buffered.slice(nl + 1);
          if (e.type === 'ERROR') throw new Error(`watch ERROR: ${JSON.stringify(e.object)}`);
          if (e.type !== 'BOOKMARK') onEvent({ type: e.type, rv: Number(e.object.metadata.resourceVersion), name: e.object.metadata.name ?? '' });
        }
      });
      res.on('close', done);
    });
    req.on('error', () => done());
    req.end();
    stop = () => void req.destroy();
  });
  return { stop, ended };
}

test('a watcher reconnecting with its last resourceVersion misses nothing, across a dropped connection and a kill -9', async (t) => {
  const dataDir = tempDataDir(t);
  let daemon = await startDaemonProcess(t, dataDir);
  const from = (await daemon.http('GET', NADS)).json() as { metadata: { resourceVersion: string } };
  const seen: Seen[] = [];
  let last = from.metadata.resourceVersion;
  const record = (e: Seen) => {
    seen.push(e);
    last = String(e.rv);
  };

  // Writes in a steady stream; the watcher drops its connection after 20 events and reconnects.
  const acknowledged: number[] = [];
  const write = async (d: DaemonProcess, i: number) => {
    const r = await d.http('POST', NADS, { body: JSON.stringify(nad(`n-${i}`)), contentType: 'application/json' });
    assert.equal(r.status, 201, r.body);
    acknowledged.push(Number((r.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion));
  };
  let dropped = false;
  let w = watch(daemon, last, (e) => {
    record(e);
    if (seen.length === 20 && !dropped) {
      dropped = true;
      w.stop();
    }
  });
  for (let i = 0; i < 40; i++) await write(daemon, i);
  await w.ended;
  w = watch(daemon, last, record);
  for (let i = 40; i < 60; i++) await write(daemon, i);

  // kill -9 with creates, patches and deletes in flight: those acknowledged must reach the
  // watcher after the restart.
  const deletes: string[] = [];
  const patches: number[] = [];
  const patch = async (d: DaemonProcess, i: number) => {
    const r = await d.http('PATCH', `${NADS}/n-${i}`, { body: JSON.stringify({ metadata: { labels: { patched: 'yes' } } }), contentType: 'application/merge-patch+json' });
    assert.equal(r.status, 200, r.body);
    const rv = Number((r.json() as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
    acknowledged.push(rv);
    patches.push(rv);
  };
  const remove = async (d: DaemonProcess, i: number) => {
    const r = await d.http('DELETE', `${NADS}/n-${i}`);
    assert.equal(r.status, 200, r.body);
    deletes.push(`n-${i}`);
  };
  const inFlight = [
    ...Array.from({ length: 20 }, (_, k) => write(daemon, 60 + k).catch(() => undefined)),
    ...Array.from({ length: 10 }, (_, k) => patch(daemon, k).catch(() => undefined)),
    ...Array.from({ length: 10 }, (_, k) => remove(daemon, 10 + k).catch(() => undefined)),
  ];
  await Promise.race(inFlight);
  await daemon.kill9();
  await Promise.all(inFlight);
  w.stop();
  await w.ended;
  daemon = await startDaemonProcess(t, dataDir);
  // And after the restart: more of each, the watcher not yet back.
  for (let i = 80; i < 90; i++) await write(daemon, i);
  for (let i = 20; i < 25; i++) await patch(daemon, i);
  for (let i = 25; i < 30; i++) await remove(daemon, i);
  await write(daemon, 90);
  await daemon.http('DELETE', `${NADS}/n-90`).then((r) => assert.equal(r.status, 200, r.body));
  await new Promise<void>((done) => {
    w = watch(daemon, last, (e) => {
      record(e);
      if (e.type === 'DELETED' && e.name === 'n-90') done();
    });
  });
  w.stop();

  const rvs = seen.map((e) => e.rv);
  assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), 'in resourceVersion order');
  assert.equal(new Set(rvs).size, rvs.length, 'each event once');
  const missing = acknowledged.filter((rv) => !rvs.includes(rv));
  assert.deepEqual(missing, [], 'every acknowledged write was seen');
  const byRv = new Map(seen.map((e) => [e.rv, e]));
  for (const rv of patches) assert.equal(byRv.get(rv)?.type, 'MODIFIED', `the acknowledged patch at ${rv} arrived as MODIFIED`);
  const deletedSeen = new Set(seen.filter((e) => e.type === 'DELETED').map((e) => e.name));
  assert.deepEqual(deletes.filter((name) => !deletedSeen.has(name)), [], 'every acknowledged delete arrived as DELETED');
  assert.ok(patches.length >= 5 && deletes.length >= 5);
});
