import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestRefusedError } from '../api/guest-access.ts';
import { GuestNotRunningError, GuestStateError } from '../runtime/local-runtime.ts';
import { localGuestAccess } from './guest-access.ts';

const noAct = async () => undefined;
const observe = () => undefined;

const paths = (runDir: string) => ({ runDir, serialSocket: join(runDir, 'serial.sock'), serialLog: join(runDir, 'serial.log'), vncSocket: join(runDir, 'vnc.sock'), qmpSocket: join(runDir, 'qmp.sock') });

// QEMU names the file through its inherited directory; the daemon reads it by its own path.
const qemuFile = (runDir: string) => (_uid: string, name: string) => ({ host: join(runDir, name), qemu: `/proc/self/fd/3/${name}` });

test('a screenshot is a QMP screendump (PNG) to a temp file in QEMU\'s directory, read and removed', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'pxevirt-shot-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  const calls: Array<{ command: string; args?: Record<string, unknown> }> = [];
  const access = localGuestAccess({
    paths: () => paths(runDir),
    qemuFile: qemuFile(runDir),
    act: noAct,
    observe,
    execute: async (_uid, command, args) => {
      calls.push({ command, ...(args ? { args } : {}) });
      writeFileSync(join(runDir, String(args?.filename).replace('/proc/self/fd/3/', '')), 'png-bytes');
      return {};
    },
  });
  assert.equal((await access.screenshot('u1')).toString(), 'png-bytes');
  assert.equal(calls[0]?.command, 'screendump');
  assert.equal(calls[0]?.args?.format, 'png');
  assert.match(String(calls[0]?.args?.filename), /^\/proc\/self\/fd\/3\/screendump-[0-9a-f]{12}\.png$/);
  assert.deepEqual(readdirSync(runDir), [], 'the temp file is gone');
  assert.deepEqual(access.sockets('u1'), { serialSocket: join(runDir, 'serial.sock'), vncSocket: join(runDir, 'vnc.sock'), serialLog: join(runDir, 'serial.log') });
});

test('a failed screendump rejects and leaves no file', async (t) => {
  const runDir = mkdtempSync(join(tmpdir(), 'pxevirt-shot-'));
  t.after(() => rmSync(runDir, { recursive: true, force: true }));
  const access = localGuestAccess({ paths: () => paths(runDir), qemuFile: qemuFile(runDir), act: noAct, observe, execute: async () => Promise.reject(new Error('VMI u1: screendump needs a running guest')) });
  await assert.rejects(access.screenshot('u1'), /needs a running guest/);
  assert.equal(existsSync(runDir) && readdirSync(runDir).length, 0);
});

test('pause, unpause and soft reboot refusals reach the API as KubeVirt words it', async () => {
  const refuse = (err: Error) => localGuestAccess({ paths: () => paths('/nowhere'), qemuFile: qemuFile('/nowhere'), observe, execute: async () => ({}), act: async () => Promise.reject(err) });
  await assert.rejects(refuse(new GuestStateError('u1', 'pause', 'VMI is already paused')).act?.('u1', 'pause') ?? Promise.resolve(), (e: unknown) => e instanceof GuestRefusedError && e.message === 'VMI is already paused');
  await assert.rejects(refuse(new GuestNotRunningError('u1', 'unpause')).act?.('u1', 'unpause') ?? Promise.resolve(), (e: unknown) => e instanceof GuestRefusedError && e.message === 'VMI is not running');
  await assert.rejects(refuse(new GuestNotRunningError('u1', 'pause')).act?.('u1', 'pause') ?? Promise.resolve(), (e: unknown) => e instanceof GuestRefusedError && e.message === 'VM is not running');
  await assert.rejects(refuse(new Error('QMP gone')).act?.('u1', 'softReboot') ?? Promise.resolve(), /QMP gone/);
});
