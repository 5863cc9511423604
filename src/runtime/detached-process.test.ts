import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { DetachedProcess, DetachedStartError, detachedFiles, isProcessOf } from './detached-process.ts';

async function runDir(t: { after(fn: () => unknown): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pxv-detached-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// A child whose command line names the run dir (as `pxe serve --config <run dir>/…` does).
const idle = (dir: string) => [process.execPath, '-e', 'console.log("up"); setInterval(() => {}, 1000)', dir];

test('launches a detached child that a second supervisor adopts, and stops it with SIGTERM', async (t) => {
  const dir = await runDir(t);
  const proc = await DetachedProcess.launch({ runDir: dir, name: 'idle', argv: idle(dir), log: silentLogger, ready: async () => (await readFile(detachedFiles(dir, 'idle').log, 'utf8')).includes('up') });
  t.after(() => {
    if (isProcessOf(proc.pid, dir)) process.kill(proc.pid, 'SIGKILL');
  });
  assert.equal(Number(await readFile(detachedFiles(dir, 'idle').pidfile, 'utf8')), proc.pid);
  assert.ok(isProcessOf(proc.pid, dir));
  proc.detach();
  const adopted = await DetachedProcess.adopt(dir, 'idle', silentLogger);
  assert.ok(adopted instanceof DetachedProcess);
  assert.equal(adopted.pid, proc.pid);
  const exit = await adopted.stop(5000);
  assert.equal(exit.signal, 'SIGTERM');
  assert.match(exit.reason, /^idle was killed by SIGTERM; its last words: up\b/);
  assert.equal(isProcessOf(proc.pid, dir), false);
  // Once ended, adoption reports how (from the recorded exit).
  assert.deepEqual(await DetachedProcess.adopt(dir, 'idle', silentLogger), exit);
});

test('a child that exits while starting fails the launch with its last words', async (t) => {
  const dir = await runDir(t);
  const argv = [process.execPath, '-e', 'console.error("cannot bind"); process.exit(3)', dir];
  const err = await DetachedProcess.launch({ runDir: dir, name: 'bad', argv, log: silentLogger, ready: async () => false }).then(
    () => assert.fail('expected the launch to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DetachedStartError);
  assert.match(err.message, /bad in .*: exited while starting \(code 3\); it said: cannot bind/);
});

test('notices a child that dies and records its exit status', async (t) => {
  const dir = await runDir(t);
  const proc = await DetachedProcess.launch({ runDir: dir, name: 'idle', argv: idle(dir), log: silentLogger, ready: async () => true });
  let heard = 0;
  proc.onExit(() => heard++);
  process.kill(proc.pid, 'SIGKILL');
  const exit = await proc.exited;
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(heard, 1);
  assert.equal(proc.state, 'exited');
  assert.ok(existsSync(detachedFiles(dir, 'idle').status));
  assert.equal((await readFile(detachedFiles(dir, 'idle').status, 'utf8')).trim(), '137');
});
