// The official Python client (Debian's python3-kubernetes, /usr/bin/python3) against
// `pxevirt up`: list, watch (with bookmarks), create, get, merge and JSON patch, delete of
// VMIs, VMs, NADs and PXEServers through CustomObjectsApi. The script is clients/python_client.py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.ts';

const SCRIPT = join(resolve(fileURLToPath(import.meta.url), '..'), 'clients/python_client.py');
const PYTHON = '/usr/bin/python3';

type Step = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function python(d: DaemonProcess, scenario: string): Promise<Step[]> {
  return new Promise((done, fail) => {
    execFile(PYTHON, [SCRIPT, d.kubeconfig, scenario], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return fail(new Error(`python_client.py ${scenario} failed: ${err.message}\n${stderr}`));
      done(stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Step));
    });
  });
}

test('the official Python client lists, watches, creates, patches and deletes every custom kind', async (t) => {
  const d = await startDaemonProcess(t);
  const steps = await python(d, 'crud');
  assert.deepEqual(steps.map((s) => s.kind), ['vmi', 'vm', 'nad', 'pxeserver']);
  for (const s of steps) {
    const name = `py-${s.kind}`;
    assert.equal(s.created, name);
    assert.equal(s.got, true);
    assert.deepEqual(s.merged, { 'made-by': 'python', merge: 'yes' }, `${s.kind}: merge patch`);
    assert.deepEqual(s.patched, { 'made-by': 'python', merge: 'yes', json: 'yes' }, `${s.kind}: JSON patch`);
    assert.deepEqual(s.listed, [name], `${s.kind}: list by label`);
    // watch=True (the Python client's spelling) streams: every change, in order.
    assert.deepEqual(s.events, [['ADDED', name], ['MODIFIED', name], ['MODIFIED', name], ['DELETED', name]], `${s.kind}: watch`);
  }
});

test('the official Python client gets a BOOKMARK on a watch with allow_watch_bookmarks', async (t) => {
  const d = await startDaemonProcess(t);
  const [step] = await python(d, 'bookmarks');
  const bookmark = (step?.events as Step[]).find((e) => e.type === 'BOOKMARK');
  assert.ok(bookmark, JSON.stringify(step));
  assert.match(String(bookmark.rv), /^\d+$/);
});
