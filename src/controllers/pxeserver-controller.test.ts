// The PXEServer controller's loop against a stand-in node (a PxeServerHost in memory): no
// root, no netns, no `pxe serve`, and the decision clock injected.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import type { ExitRecord } from '../runtime/detached-process.ts';
import type { PxeServerHost, PxeServerProcess } from '../runtime/pxeserver-host.ts';
import { PxeServerSetupError } from '../runtime/pxeserver-pod.ts';
import { openTestStore } from '../store/test-fixture.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import { getOrNone } from './object-client.ts';
import { NAD_KEY, PXESERVER_FINALIZER, PXESERVER_KEY, startPxeServerController } from './pxeserver-controller.ts';

/** A server process that ends when the test says so. */
function fakeProcess(pid: number): PxeServerProcess & { end(exit: ExitRecord): void } {
  const listeners = new Set<(e: ExitRecord) => void>();
  const p = {
    pid,
    state: 'running' as 'running' | 'exited',
    exit: undefined as ExitRecord | undefined,
    onExit: (l: (e: ExitRecord) => void) => (listeners.add(l), () => listeners.delete(l)),
    end: (exit: ExitRecord) => {
      p.state = 'exited';
      p.exit = exit;
      for (const l of listeners) l(exit);
    },
    stop: async () => (p.end({ kind: 'shutdown', reason: 'stopped', code: 0, signal: null, at: '' }), p.exit as ExitRecord),
    detach: () => undefined,
  };
  return p;
}

interface FakeHost extends PxeServerHost {
  starts: number;
  teardowns: number;
  procs: ReturnType<typeof fakeProcess>[];
  /** The next start fails with this. */
  failNext?: Error;
}

function fakeHost(): FakeHost {
  const h: FakeHost = {
    starts: 0,
    teardowns: 0,
    procs: [],
    pod: (o) => ({ uid: o.uid, namespace: o.namespace, name: o.name, netns: `pxs-${o.uid.slice(0, 8)}`, runDir: `/nowhere/${o.uid}`, ifname: o.ifname ?? 'net1' }),
    start: async () => {
      h.starts++;
      const fail = h.failNext;
      delete h.failNext;
      if (fail) throw fail;
      const proc = fakeProcess(1000 + h.starts);
      h.procs.push(proc);
      return { proc, mac: '02:00:00:00:00:01' };
    },
    adopt: async () => ({}),
    status: async () => ({ leases: [], boots: [] }),
    reprovision: async () => false,
    replaceVms: async () => undefined,
    teardown: async (_pod, proc) => {
      h.teardowns++;
      await proc?.stop(0);
    },
    removeOrphans: async () => [],
  };
  return h;
}

const spec = { network: 'pxe-net', address: '10.9.0.1/24', dhcp: { mode: 'off' }, root: 'images', images: [{ name: 'a', kernel: 'a/k', initrd: [], cmdline: '' }], defaultImage: 'a' };
const ready = (o: StoredObject | undefined) => ((o?.status as { conditions?: { type: string; status: string; reason: string; message: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Ready');
const get = (store: ObjectStore) => getOrNone(store, PXESERVER_KEY, 'default', 'pxe1');

async function setup(t: TestContext, host: FakeHost, clock: { now: Date }) {
  const { store } = openTestStore(t);
  const c = await startPxeServerController({ store, host, dataDir: '/nowhere', nodeName: 'node01', log: silentLogger, retryBaseMs: 20, pollMs: 60_000, now: () => clock.now });
  t.after(() => c.stop());
  return { store, idle: () => c.idle() };
}

const nad = { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: { name: 'pxe-net', namespace: 'default' }, spec: { config: '{}' } };
const server = { apiVersion: 'pxe.pxevirt.io/v1alpha1', kind: 'PXEServer', metadata: { name: 'pxe1', namespace: 'default' }, spec };

test('a PXEServer on an existing NAD is started through the host, reports Serving, and is torn down on delete', async (t) => {
  const host = fakeHost();
  const { store, idle } = await setup(t, host, { now: new Date('2026-01-01T12:00:00Z') });
  store.create(NAD_KEY, nad);
  store.create(PXESERVER_KEY, server);
  await idle();
  const o = get(store);
  assert.equal(host.starts, 1);
  assert.deepEqual(o?.metadata.finalizers, [PXESERVER_FINALIZER]);
  assert.deepEqual([ready(o)?.status, ready(o)?.reason, ready(o)?.message], ['True', 'Serving', 'serving TFTP and HTTP on 10.9.0.1/24']);
  assert.equal((o?.status as { mac?: string }).mac, '02:00:00:00:00:01');
  store.delete(PXESERVER_KEY, 'default', 'pxe1');
  await idle();
  assert.equal(host.teardowns, 1);
  assert.equal(get(store), undefined, 'the finalizer was removed and the object is gone');
});

test('a failed start reports its reason and is retried when the injected clock passes the backoff', async (t) => {
  const host = fakeHost();
  const clock = { now: new Date('2026-01-01T12:00:00Z') };
  const { store, idle } = await setup(t, host, clock);
  host.failNext = new PxeServerSetupError('ImageDownloadFailed', 'cannot download http://x/k: boom');
  store.create(NAD_KEY, nad);
  store.create(PXESERVER_KEY, server);
  await idle();
  assert.deepEqual([ready(get(store))?.reason, ready(get(store))?.message], ['ImageDownloadFailed', 'cannot download http://x/k: boom']);
  assert.equal(host.starts, 1);
  // The requeue comes, but the clock has not moved: no second start.
  await new Promise((r) => setTimeout(r, 60));
  await idle();
  assert.equal(host.starts, 1);
  clock.now = new Date(clock.now.getTime() + 20);
  await new Promise((r) => setTimeout(r, 60));
  await idle();
  assert.equal(host.starts, 2);
  assert.equal(ready(get(store))?.reason, 'Serving');
});

test('a PXEServer whose NAD is missing waits for it and starts when it is created', async (t) => {
  const host = fakeHost();
  const { store, idle } = await setup(t, host, { now: new Date('2026-01-01T12:00:00Z') });
  store.create(PXESERVER_KEY, server);
  await idle();
  assert.equal(ready(get(store))?.reason, 'NetworkNotFound');
  assert.equal(host.starts, 0);
  store.create(NAD_KEY, nad);
  await idle();
  assert.equal(host.starts, 1);
  assert.equal(ready(get(store))?.reason, 'Serving');
});

test('a server that ends is reported with its exit reason and started again', async (t) => {
  const host = fakeHost();
  const clock = { now: new Date('2026-01-01T12:00:00Z') };
  const { store, idle } = await setup(t, host, clock);
  store.create(NAD_KEY, nad);
  store.create(PXESERVER_KEY, server);
  await idle();
  host.procs[0]?.end({ kind: 'crashed', reason: 'pxe-serve was killed by SIGKILL; its last words: up', code: null, signal: 'SIGKILL', at: '' });
  await idle();
  assert.deepEqual([ready(get(store))?.reason, ready(get(store))?.message], ['ServerExited', 'pxe-serve was killed by SIGKILL; its last words: up']);
  clock.now = new Date(clock.now.getTime() + 20);
  await new Promise((r) => setTimeout(r, 60));
  await idle();
  assert.equal(host.starts, 2);
  assert.equal(ready(get(store))?.reason, 'Serving');
});
