import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localGuestAccess } from './guest-access.ts';

const paths = (runDir: string) => ({ runDir, serialSocket: join(runDir, 'serial.sock'), serialLog: join(runDir, 'serial.log'), vncSocket: join(runDir, 'vnc.sock'), qmpSocket: join(runDir, 'qmp.sock') });

test('a screenshot is a QMP screendump (PNG) to a temp file in the run dir, read and removed', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'pxevirt-shot-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  const calls: Array<{ command: string; args?: Record<string, unknown> }> = [];
  const access = localGuestAccess({
    paths: () => paths(runDir),
    execute: async (_uid, command, args) => {
      calls.push({ command, ...(args ? { args } : {}) });
      writeFileSync(String(args?.filename), 'png-bytes');
      return {};
    },
  });
  assert.equal((await access.screenshot('u1')).toString(), 'png-bytes');
  assert.equal(calls[0]?.command, 'screendump');
  assert.equal(calls[0]?.args?.format, 'png');
  assert.ok(String(calls[0]?.args?.filename).startsWith(runDir));
  assert.deepEqual(readdirSync(runDir), [], 'the temp file is gone');
  assert.deepEqual(access.sockets('u1'), { serialSocket: join(runDir, 'serial.sock'), vncSocket: join(runDir, 'vnc.sock'), serialLog: join(runDir, 'serial.log') });
});

test('a failed screendump rejects and leaves no file', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'pxevirt-shot-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  const access = localGuestAccess({ paths: () => paths(runDir), execute: async () => Promise.reject(new Error('VMI u1: screendump needs a running guest')) });
  await assert.rejects(access.screenshot('u1'), /needs a running guest/);
  assert.equal(existsSync(runDir) && readdirSync(runDir).length, 0);
});
