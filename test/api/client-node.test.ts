// The official JavaScript client (@kubernetes/client-node 1.4) against `pxevirt up`: list,
// watch with bookmarks, create, get, merge and JSON patch, delete of VMIs, VMs, NADs and
// PXEServers through CustomObjectsApi; strategic merge patch refused with 415 on these custom
// kinds (as kube-apiserver refuses it for CRDs) and accepted on a built-in one (Namespace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { startDaemonProcess } from './daemon-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const NS = 'default';
const spec = { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } };
const KINDS: Array<{ kind: string; group: string; version: string; plural: string; body: Obj }> = [
  { kind: 'VirtualMachineInstance', group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', body: { spec } },
  { kind: 'VirtualMachine', group: 'kubevirt.io', version: 'v1', plural: 'virtualmachines', body: { spec: { runStrategy: 'Halted', template: { spec } } } },
  { kind: 'NetworkAttachmentDefinition', group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', body: { spec: { config: '{"cniVersion":"0.3.1","name":"br1-net","type":"bridge","bridge":"br1","ipam":{}}' } } },
  { kind: 'PXEServer', group: 'pxe.pxevirt.io', version: 'v1alpha1', plural: 'pxeservers', body: { spec: { network: 'br1-net', address: '192.168.100.1/24', dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150' }, root: 'images' } } },
];

/** Watches a collection with client-node's Watch until `until` says so; resolves with the events. */
async function watchUntil(kc: KubeConfig, path: string, query: Record<string, string | number | boolean>, until: (events: Array<{ type: string; object: Obj }>) => boolean) {
  const events: Array<{ type: string; object: Obj }> = [];
  let finish: () => void = () => undefined;
  let fail: (err: unknown) => void = () => undefined;
  const done = new Promise<void>((ok, no) => ((finish = ok), (fail = no)));
  const controller = await new Watch(kc).watch(path, query, (type, object: Obj) => {
    events.push({ type, object });
    if (until(events)) finish();
  }, (err: unknown) => (err ? fail(err) : finish()));
  return { events, stop: () => controller.abort(), done: done.finally(() => controller.abort()) };
}

test('the official JavaScript client lists, watches, creates, patches and deletes every custom kind', async (t) => {
  const d = await startDaemonProcess(t);
  const kc = new KubeConfig();
  kc.loadFromFile(d.kubeconfig);
  const api = kc.makeApiClient(CustomObjectsApi);

  for (const k of KINDS) {
    await t.test(k.kind, async () => {
      const at = { group: k.group, version: k.version, namespace: NS, plural: k.plural };
      const name = `js-${k.kind.toLowerCase()}`;
      const listed = (await api.listNamespacedCustomObject(at)) as Obj;
      const path = `/apis/${k.group}/${k.version}/namespaces/${NS}/${k.plural}`;
      const watching = await watchUntil(kc, path, { allowWatchBookmarks: true, resourceVersion: listed.metadata.resourceVersion }, (evs) => evs.some((e) => e.type === 'DELETED'));
      t.after(watching.stop);

      const created = (await api.createNamespacedCustomObject({ ...at, body: { apiVersion: `${k.group}/${k.version}`, kind: k.kind, metadata: { name, labels: { 'made-by': 'js' } }, ...k.body } })) as Obj;
      assert.equal(created.metadata.name, name);
      assert.equal(((await api.getNamespacedCustomObject({ ...at, name })) as Obj).metadata.uid, created.metadata.uid);
      const merged = (await api.patchNamespacedCustomObject({ ...at, name, body: { metadata: { labels: { merge: 'yes' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))) as Obj;
      assert.deepEqual(merged.metadata.labels, { 'made-by': 'js', merge: 'yes' });
      const patched = (await api.patchNamespacedCustomObject({ ...at, name, body: [{ op: 'add', path: '/metadata/labels/json', value: 'yes' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch))) as Obj;
      assert.deepEqual(patched.metadata.labels, { 'made-by': 'js', merge: 'yes', json: 'yes' });
      await assert.rejects(
        api.patchNamespacedCustomObject({ ...at, name, body: { metadata: { labels: { smp: 'yes' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
        (err: unknown) => err instanceof ApiException && err.code === 415 && /application\/strategic-merge-patch\+json is not supported/.test(String(err.body)),
      );
      const byLabel = (await api.listNamespacedCustomObject({ ...at, labelSelector: 'made-by=js' })) as Obj;
      assert.deepEqual(byLabel.items.map((i: Obj) => i.metadata.name), [name]);
      await api.deleteNamespacedCustomObject({ ...at, name });
      await watching.done;
      assert.deepEqual(watching.events.map((e) => `${e.type} ${e.object.metadata.name}`), [`ADDED ${name}`, `MODIFIED ${name}`, `MODIFIED ${name}`, `DELETED ${name}`]);
    });
  }

  await t.test('a watch with allowWatchBookmarks gets a BOOKMARK before its timeout', async () => {
    const watching = await watchUntil(kc, `/apis/kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances`, { allowWatchBookmarks: true, timeoutSeconds: 1 }, (evs) => evs.some((e) => e.type === 'BOOKMARK'));
    await watching.done;
    const bookmark = watching.events.find((e) => e.type === 'BOOKMARK');
    assert.match(bookmark?.object.metadata.resourceVersion ?? '', /^\d+$/);
  });

  await t.test('strategic merge patch works on a built-in kind', async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const ns = await core.patchNamespace({ name: NS, body: { metadata: { labels: { smp: 'yes' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    assert.equal(ns.metadata?.labels?.smp, 'yes');
  });
});
