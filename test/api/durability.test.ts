// An acknowledged create survives SIGKILL of the daemon: restart on the same data dir and
// every object is there, whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubectlMissing, startDaemonProcess, tempDataDir } from './daemon-process.ts';

const NADS = '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions';
const N = 50;

const nad = (i: number) => ({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name: `net-${i}`, labels: { batch: 'durable' } },
  spec: { config: JSON.stringify({ cniVersion: '0.3.1', name: `net-${i}`, type: 'bridge', bridge: `br${i}` }) },
});

test('every acknowledged create survives kill -9 and a restart', async (t) => {
  const dataDir = tempDataDir(t);
  const first = await startDaemonProcess(t, dataDir);
  const created: Array<{ name: string; uid: string }> = [];
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const r = await first.http('POST', NADS, { body: JSON.stringify(nad(i)), contentType: 'application/json' });
      assert.equal(r.status, 201, r.body);
      const o = r.json() as { metadata: { name: string; uid: string } };
      created.push({ name: o.metadata.name, uid: o.metadata.uid });
    }),
  );
  await first.kill9();

  const second = await startDaemonProcess(t, dataDir);
  assert.equal(second.token, first.token, 'the token is kept across restarts');
  const list = (await second.http('GET', `${NADS}?labelSelector=batch%3Ddurable`)).json() as {
    items: Array<{ metadata: { name: string; uid: string }; spec: { config: string } }>;
  };
  assert.equal(list.items.length, N);
  const byName = new Map(list.items.map((o) => [o.metadata.name, o]));
  for (const c of created) {
    const o = byName.get(c.name);
    assert.ok(o, `${c.name} is present`);
    assert.equal(o.metadata.uid, c.uid);
    assert.equal(JSON.parse(o.spec.config).name, c.name, 'the object is whole');
  }
  if (!kubectlMissing()) {
    const viaKubectl = await second.kubectl(['get', 'net-attach-def', '-l', 'batch=durable', '-o', 'name']);
    assert.equal(viaKubectl.stdout.trim().split('\n').length, N, viaKubectl.stderr);
  }
  assert.equal(await second.stop(), 0, 'SIGTERM shuts down cleanly');
});
