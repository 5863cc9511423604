// A daemon removes only the PXEServer pods its own store made (issue 13): another store's
// running server is left alone, an ended one's run dir (leases, install state) is moved aside,
// never deleted; this store's orphan is torn down. Stand-in processes, no netns, no CNI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { createPxeServerHost } from './pxeserver-host.ts';

const tag = randomBytes(3).toString('hex');

/** A pod's run dir as launchServer leaves it: pod.json (with its store, if any) and state/leases.json. */
function podDir(dataDir: string, uid: string, storeId: string | undefined): string {
  const runDir = join(dataDir, 'run', 'pxeserver', uid);
  mkdirSync(join(runDir, 'state'), { recursive: true });
  const pod = { namespace: 'default', name: uid, uid, netns: `pxz${tag}-${uid.slice(0, 4)}`, containerId: `pxeserver-${uid}` };
  writeFileSync(join(runDir, 'pod.json'), JSON.stringify({ pod, ...(storeId === undefined ? {} : { storeId }) }));
  writeFileSync(join(runDir, 'state', 'leases.json'), `{"leases of":"${uid}"}`);
  return runDir;
}

test('orphaned PXE server pods: only this store\'s are removed; another store\'s are left running or moved aside', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-pxe-stores-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const running = podDir(dataDir, 'aaaaaaaa-running', 'store-of-another-run');
  podDir(dataDir, 'bbbbbbbb-ended', 'store-of-another-run');
  podDir(dataDir, 'cccccccc-unrecorded', undefined);
  const ours = podDir(dataDir, 'dddddddd-ours', 'this-store');
  podDir(dataDir, 'eeeeeeee-known', 'this-store');
  // A live server: a process whose command line names its run dir, as the supervisor's wrapper does.
  const child = spawn('sh', ['-c', 'sleep 300', running], { stdio: 'ignore', detached: true });
  t.after(() => {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  });
  await new Promise((resolve) => child.once('spawn', resolve));
  writeFileSync(join(running, 'pxe-serve.pid'), `${child.pid}\n`);

  const deleted: string[] = [];
  const host = createPxeServerHost({
    dataDir,
    log: silentLogger,
    storeId: 'this-store',
    cni: { add: async () => [], del: async (pod) => void deleted.push(pod.uid) },
  });
  const removed = await host.removeOrphans(new Set(['eeeeeeee-known']));

  assert.deepEqual(removed, ['dddddddd-ours'], 'only this store\'s orphan is removed');
  assert.deepEqual(deleted, ['dddddddd-ours'], 'CNI DEL only for this store\'s pod');
  assert.equal(existsSync(ours), false);
  assert.doesNotThrow(() => process.kill(child.pid ?? 0, 0), 'the other store\'s server still runs');
  assert.ok(existsSync(join(running, 'state', 'leases.json')), 'its run dir is where it was');
  const quarantine = join(dataDir, 'run', 'quarantine', 'pxeserver');
  for (const uid of ['bbbbbbbb-ended', 'cccccccc-unrecorded']) {
    assert.equal(existsSync(join(dataDir, 'run', 'pxeserver', uid)), false, `${uid} moved`);
    assert.equal(readFileSync(join(quarantine, uid, 'state', 'leases.json'), 'utf8'), `{"leases of":"${uid}"}`, `${uid}'s leases kept`);
  }
  assert.ok(existsSync(join(dataDir, 'run', 'pxeserver', 'eeeeeeee-known', 'pod.json')), 'a known pod is untouched');
});

test('adopting a pod whose record predates stores claims it for this store', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-pxe-claim-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const runDir = podDir(dataDir, 'ffffffff-old', undefined);
  const host = createPxeServerHost({ dataDir, log: silentLogger, storeId: 'this-store', cni: { add: async () => [], del: async () => undefined } });
  await host.adopt(host.pod({ uid: 'ffffffff-old', namespace: 'default', name: 'old' }));
  assert.equal((JSON.parse(readFileSync(join(runDir, 'pod.json'), 'utf8')) as { storeId?: string }).storeId, 'this-store');
});
