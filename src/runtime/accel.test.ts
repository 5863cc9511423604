import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAccelProbe, probeKvm } from './accel.ts';

// The probe checks the KVM device before starting anything: the tests name one that exists
// (this file), so they run on machines without /dev/kvm too; QEMU is a shell-script stand-in.
const kvmDevice = new URL(import.meta.url).pathname;

/** A stand-in for qemu-system-x86_64: a shell script with the given body. */
async function fakeQemu(t: TestContext, body: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-accel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'qemu');
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

test('without the KVM device the answer is TCG, and QEMU is not started', async (t) => {
  const marker = join(tmpdir(), `pxevirt-accel-started-${process.pid}`);
  t.after(() => rm(marker, { force: true }));
  const qemuBinary = await fakeQemu(t, `touch ${marker}; echo "Linux version"`);
  const missing = join(tmpdir(), `pxevirt-no-kvm-${process.pid}`);
  assert.deepEqual(await probeKvm({ qemuBinary, kernel: '/dev/null', kvmDevice: missing }), { accel: 'tcg', reason: `${missing} does not exist` });
  assert.ok(!existsSync(marker), 'QEMU was not started');
});

test('a guest that prints the kernel banner proves KVM', async (t) => {
  const qemuBinary = await fakeQemu(t, 'echo "[    0.000000] Linux version 6.1.0"; sleep 30');
  assert.deepEqual(await probeKvm({ qemuBinary, kernel: '/dev/null', kvmDevice, timeoutMs: 5000 }), { accel: 'kvm', reason: 'a KVM guest booted its kernel' });
});

test('a guest that hangs falls back to TCG after the timeout, and is killed', async (t) => {
  const marker = join(tmpdir(), `pxevirt-accel-alive-${process.pid}`);
  const qemuBinary = await fakeQemu(t, `sleep 0.6 && touch ${marker}`);
  t.after(() => rm(marker, { force: true }));
  const result = await probeKvm({ qemuBinary, kernel: '/dev/null', kvmDevice, timeoutMs: 200 });
  assert.equal(result.accel, 'tcg');
  assert.match(result.reason, /no kernel banner within 200 ms/);
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.ok(!existsSync(marker), 'the hung probe was killed before it could go on');
});

test('a QEMU that exits at once falls back to TCG with what it said', async (t) => {
  const qemuBinary = await fakeQemu(t, 'echo "Could not access KVM kernel module" >&2; exit 1');
  const result = await probeKvm({ qemuBinary, kernel: '/dev/null', kvmDevice, timeoutMs: 5000 });
  assert.equal(result.accel, 'tcg');
  assert.match(result.reason, /code 1.*Could not access KVM kernel module/);
});

test('the probe runs once and answers from its cache afterwards', async (t) => {
  const count = join(tmpdir(), `pxevirt-accel-count-${process.pid}`);
  t.after(() => rm(count, { force: true }));
  const qemuBinary = await fakeQemu(t, `echo x >> ${count}; echo "Linux version"; sleep 5`);
  const probe = createAccelProbe({ qemuBinary, kernel: '/dev/null', kvmDevice });
  const [first, second] = await Promise.all([probe(), probe()]);
  assert.equal(first, second);
  assert.equal((await probe()).accel, 'kvm');
  const { readFile } = await import('node:fs/promises');
  assert.equal((await readFile(count, 'utf8')).trim().split('\n').length, 1);
});
