import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../lib/logger.ts';
import { DetachedProcess, DetachedStartError, detachedFiles, endedWhileStarting, isProcessOf, pollPauses } from './detached-process.ts';

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
  const adopted = await DetachedProcess.adopt({ runDir: dir, name: 'idle', log: silentLogger });
  assert.ok(adopted instanceof DetachedProcess);
  assert.equal(adopted.pid, proc.pid);
  const exit = await adopted.stop(5000);
  assert.equal(exit.signal, 'SIGTERM');
  assert.match(exit.reason, /^idle was killed by SIGTERM; its last words: up\b/);
  assert.equal(isProcessOf(proc.pid, dir), false);
  // Once ended, adoption reports how (from the recorded exit).
  assert.deepEqual(await DetachedProcess.adopt({ runDir: dir, name: 'idle', log: silentLogger }), exit);
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

test('kill records why before the signal, and the exit keeps that reason with the signal', async (t) => {
  const dir = await runDir(t);
  const proc = await DetachedProcess.launch({ runDir: dir, name: 'idle', argv: idle(dir), log: silentLogger, ready: async () => true });
  const exit = await proc.kill('killed after the grace period');
  assert.equal(exit.kind, 'killed');
  assert.equal(exit.reason, 'killed after the grace period');
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.code, null);
});

test('a child that removes its own pidfile on a clean exit is adopted as ended, described by its kind', async (t) => {
  const dir = await runDir(t);
  const files = detachedFiles(dir, 'guest', 'exit.json');
  // Like QEMU: deletes its pidfile, says something and exits 0.
  const argv = ['sh', '-c', 'while [ ! -s "$1" ]; do sleep 0.05; done; rm -f "$1"; echo bye; exit 0', 'guest', files.pidfile, dir];
  const describe = ({ code, tail }: { code: number | undefined; tail: string[] }) => ({ kind: code === 0 ? ('shutdown' as const) : ('crashed' as const), reason: `said ${tail.join('/')}` });
  const proc = await DetachedProcess.launch({ runDir: dir, name: 'guest', exitFile: 'exit.json', describe, argv, log: silentLogger, ready: async () => true }).catch((e: unknown) => e);
  // It may end before or after the launch saw it ready: either way adoption tells how.
  if (proc instanceof DetachedProcess) {
    proc.detach();
    await waitFor(() => existsSync(files.status));
  }
  const found = await DetachedProcess.adopt({ runDir: dir, name: 'guest', exitFile: 'exit.json', describe, log: silentLogger });
  assert.ok(found && !(found instanceof DetachedProcess));
  assert.deepEqual({ kind: found.kind, reason: found.reason, code: found.code, signal: found.signal }, { kind: 'shutdown', reason: 'said bye', code: 0, signal: null });
  assert.ok(existsSync(files.exit));
});

test('nothing to adopt in a run dir where nothing ran', async (t) => {
  const dir = await runDir(t);
  assert.equal(await DetachedProcess.adopt({ runDir: dir, name: 'idle', log: silentLogger }), undefined);
});

test('an aborted start kills the child and fails with "start aborted"', async (t) => {
  const dir = await runDir(t);
  const aborter = new AbortController();
  const launching = DetachedProcess.launch({ runDir: dir, name: 'idle', argv: idle(dir), log: silentLogger, ready: async () => false, signal: aborter.signal });
  // The wrapper's echo creates the file, then writes the pid: wait for the digits.
  await waitFor(() => existsSync(detachedFiles(dir, 'idle').pidfile) && /^\d+\s*$/.test(readFileSync(detachedFiles(dir, 'idle').pidfile, 'utf8')));
  const pid = Number(await readFile(detachedFiles(dir, 'idle').pidfile, 'utf8'));
  aborter.abort();
  await assert.rejects(launching, (e: unknown) => e instanceof DetachedStartError && /start aborted/.test(e.message));
  await waitFor(() => !isProcessOf(pid, dir));
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('start-up polls begin at a few milliseconds and back off to their cap', () => {
  const pause = pollPauses(2, 20);
  assert.deepEqual(Array.from({ length: 6 }, () => pause()), [2, 4, 8, 16, 20, 20]);
});

test('a child is ended while starting when gone or not of its run dir, not while its command line reads empty', () => {
  const here = process.argv.find((a) => a.includes('/')) ?? '/';
  assert.equal(endedWhileStarting(process.pid, here), false, 'alive and naming the run dir');
  assert.equal(endedWhileStarting(process.pid, '/no/such/run/dir'), true, 'a pid taken by a process of another run dir');
  const done = spawnSync('true');
  assert.equal(endedWhileStarting(done.pid!, '/'), true, 'gone');
});
