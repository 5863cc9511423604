// kubectl 1.32 beyond the basic verbs: `kubectl events`, `kubectl get --watch-only`,
// `kubectl edit` with a scripted EDITOR, `kubectl auth can-i` (yes for what pxevirt serves,
// no for what it does not), and `kubectl patch` without --type on a custom kind (refused with
// 415 as for a CRD) and on a built-in one (strategic merge).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectlMissing, startDaemonProcess, type DaemonProcess } from './daemon-process.ts';

const skip = kubectlMissing();

async function ok(d: DaemonProcess, args: string[], input?: string): Promise<string> {
  const r = await d.kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const nad = (name: string, note: string) => JSON.stringify({
  apiVersion: 'k8s.cni.cncf.io/v1',
  kind: 'NetworkAttachmentDefinition',
  metadata: { name, annotations: { note } },
  spec: { config: '{"cniVersion":"0.3.1","name":"n","type":"bridge","bridge":"br1"}' },
});

/** Runs kubectl (-v=6) until `until` matches its output; `started` runs once its log shows the watch request. */
function runUntil(d: DaemonProcess, args: string[], started: () => Promise<unknown>, until: (out: string) => boolean): Promise<string> {
  return new Promise((done, fail) => {
    const p = spawn('kubectl', ['--kubeconfig', d.kubeconfig, '-v=6', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let watching = false;
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      fail(new Error(`kubectl ${args.join(' ')} did not print what was expected within 20 s; stdout:\n${out}\nstderr:\n${err}`));
    }, 20_000);
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      if (!watching && /GET https:\S+watch=true\S* 200/.test(err)) {
        watching = true;
        void started().catch(fail);
      }
    });
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (until(out)) {
        clearTimeout(timer);
        p.kill('SIGTERM');
        done(out);
      }
    });
  });
}

test('kubectl events, get --watch-only, edit, auth can-i and patch types', { skip }, async (t) => {
  const d = await startDaemonProcess(t);
  await ok(d, ['create', '-f', '-'], nad('edited', 'old'));

  await t.test('kubectl events lists the events of the namespace', async () => {
    const uid = await ok(d, ['get', 'net-attach-def', 'edited', '-o', 'jsonpath={.metadata.uid}']);
    const event = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'edited.1', namespace: 'default' }, involvedObject: { apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', name: 'edited', namespace: 'default', uid }, reason: 'Tested', message: 'seen by kubectl events', type: 'Normal', firstTimestamp: new Date().toISOString(), lastTimestamp: new Date().toISOString(), count: 1 };
    await ok(d, ['create', '-f', '-'], JSON.stringify(event));
    const out = await ok(d, ['events']);
    assert.match(out, /LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    assert.match(out, /Normal\s+Tested\s+networkattachmentdefinition\/edited\s+seen by kubectl events/i);
    const forObject = await ok(d, ['events', '--for', 'net-attach-def/edited']);
    assert.match(forObject, /seen by kubectl events/);
  });

  await t.test('kubectl get --watch-only prints only what changes', async () => {
    // --watch-only prints nothing until a change: the create comes once the watch is open.
    const out = await runUntil(d, ['get', 'net-attach-def', '--watch-only', '-o', 'name'], () => ok(d, ['create', '-f', '-'], nad('later', 'x')), (o) => o.includes('later'));
    assert.doesNotMatch(out, /edited/, 'objects that did not change are not printed');
    assert.match(out, /networkattachmentdefinition\.k8s\.cni\.cncf\.io\/later/);
  });

  await t.test('kubectl edit with a scripted EDITOR saves the change', async () => {
    const editor = join(d.dataDir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i -e "s/note: old/note: edited-by-script/" "$1"\n', { mode: 0o755 });
    const r = await new Promise<{ code: number | null; out: string }>((done) => {
      const p = spawn('kubectl', ['--kubeconfig', d.kubeconfig, 'edit', 'net-attach-def', 'edited'], { env: { ...process.env, EDITOR: editor, KUBE_EDITOR: editor } });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (out += c.toString()));
      p.on('close', (code) => done({ code, out }));
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /edited/);
    assert.equal(await ok(d, ['get', 'net-attach-def', 'edited', '-o', 'jsonpath={.metadata.annotations.note}']), 'edited-by-script');
  });

  await t.test('kubectl auth can-i answers yes for what is served and no for what is not', async () => {
    for (const args of [['create', 'vmi'], ['delete', 'virtualmachines'], ['watch', 'net-attach-def'], ['update', 'virtualmachines.subresources.kubevirt.io', '--subresource', 'start'], ['update', 'vm', '--subresource', 'status'], ['patch', 'pxeservers'], ['get', '/healthz']]) {
      const r = await d.kubectl(['auth', 'can-i', ...args]);
      assert.equal(r.stdout.trim(), 'yes', `can-i ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    }
    // KubeVirt serves vnc in subresources.kubevirt.io, not in kubevirt.io.
    assert.match((await d.kubectl(['auth', 'can-i', 'get', 'vmi', '--subresource', 'vnc'])).stdout, /^no - pxevirt does not serve virtualmachineinstances\/vnc\.kubevirt\.io/);
    const pods = await d.kubectl(['auth', 'can-i', 'get', 'pods']);
    assert.match(pods.stdout, /^no/);
    assert.equal(pods.code, 1);
    const list = await ok(d, ['auth', 'can-i', '--list']);
    assert.match(list, /virtualmachineinstances\.kubevirt\.io\s+\[\]\s+\[\]\s+\[create delete deletecollection get list patch update watch\]/);
  });

  await t.test('kubectl patch without --type: 415 on a custom kind (as for CRDs), strategic merge on a built-in kind', async () => {
    const crd = await d.kubectl(['patch', 'net-attach-def', 'edited', '-p', '{"metadata":{"labels":{"a":"b"}}}']);
    assert.notEqual(crd.code, 0);
    assert.match(crd.stderr, /application\/strategic-merge-patch\+json is not supported by k8s\.cni\.cncf\.io\/v1, Kind=NetworkAttachmentDefinition/);
    assert.match(await ok(d, ['patch', 'namespace', 'default', '-p', '{"metadata":{"labels":{"a":"b"}}}']), /patched/);
  });
});
