// A daemon adopts, stops and removes only guests started from its own store (issue 13):
// another store's running guest is left alone, an ended one's run dir is moved aside, never
// deleted. Stand-in processes, no QEMU.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../lib/logger.ts';
import { writeGuestRecord } from './guest-record.ts';
import { createLocalRuntime } from './local-runtime.ts';

const record = (uid: string, runDir: string, storeId: string) => ({ uid, netns: `pxv-${uid.slice(0, 8)}`, runDir, softwareEmulation: true, interfaces: [], startedAt: '2026-01-01T00:00:00Z', storeId });

test('another store\'s guests: a running one is left alone, an ended one is moved aside; nothing is deleted', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pxevirt-stores-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const running = join(dataDir, 'run', 'vmi', 'aaaaaaaa-running');
  const ended = join(dataDir, 'run', 'vmi', 'bbbbbbbb-ended');
  for (const d of [running, ended]) mkdirSync(d, { recursive: true });
  // A live process whose command line names its run dir, as the supervisor's wrapper does.
  const child = spawn('sh', ['-c', 'sleep 300', running], { stdio: 'ignore', detached: true });
  t.after(() => {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  });
  await new Promise((resolve) => child.once('spawn', resolve));
  writeFileSync(join(running, 'qemu.pid'), `${child.pid}\n`);
  await writeGuestRecord(running, record('aaaaaaaa-running', running, 'store-of-another-run'));
  await writeGuestRecord(ended, record('bbbbbbbb-ended', ended, 'store-of-another-run'));
  writeFileSync(join(ended, 'disk.qcow2'), 'the other run\'s disk');

  const runtime = createLocalRuntime({ dataDir, log: silentLogger, storeId: 'this-store', volumes: async () => [], accel: async () => ({ accel: 'tcg', reason: 'test' }) });
  t.after(() => runtime.close());
  assert.deepEqual(await runtime.adopt(), [], 'nothing of another store is adopted');
  assert.equal(runtime.observe('aaaaaaaa-running'), undefined);
  assert.doesNotThrow(() => process.kill(child.pid ?? 0, 0), 'the other store\'s guest still runs');
  assert.ok(existsSync(join(running, 'guest.json')), 'its run dir is where it was');
  assert.equal(existsSync(ended), false);
  assert.ok(existsSync(join(dataDir, 'run', 'quarantine', 'vmi', 'bbbbbbbb-ended', 'disk.qcow2')), 'the ended guest\'s run dir was moved aside, its disk kept');
});
