// A guest that writes to its serial port without pause (the test guest booted with
// `pxevirt.serial-flood`), supervised the way the runtime supervises every guest: serial.log
// stays under its cap while the guest keeps writing, rotates, and always ends with the
// guest's latest lines.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { floodLinePrefix } from '../../scripts/guest/init-script.ts';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { QemuProcess, qemuFiles } from '../../src/runtime/qemu-process.ts';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';

const skip = (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable());
// Room between the trim point (~544 KiB) and the cap for what the guest writes while a trim
// runs on a loaded machine: 128 KiB with ~48 KiB of room was overrun once under load.
const CAP = 1024 * 1024;
const KEEP = 64 * 1024;

/** The highest flood line number in `text`. */
const lastFlood = (text: string): number => Math.max(0, ...[...text.matchAll(new RegExp(`${floodLinePrefix}(\\d+) `, 'g'))].map((m) => Number(m[1])));

test('a guest flooding its serial port cannot grow serial.log past its cap; the latest output stays', { skip, timeout: 300_000 }, async (t) => {
  const runDir = await mkdtemp(join(tmpdir(), 'pxevirt-flood-'));
  let proc: QemuProcess | undefined;
  // One hook, in order: QEMU gone (by its pid), then its run dir.
  t.after(async () => {
    if (proc !== undefined) await proc.kill('test over');
    await rm(runDir, { recursive: true, force: true });
  });
  const ns = await createNodeNamespace(t);
  const guest = await buildTestGuest({ name: 'serial-flood' });
  const files = qemuFiles(runDir);
  proc = await QemuProcess.launch({
    netns: ns.name,
    runDir,
    log: silentLogger,
    logLimits: { serial: { maxBytes: CAP, keepBytes: KEEP } },
    args: [
      '-machine', 'q35', '-m', '256', '-display', 'none', '-nodefaults', '-no-user-config',
      '-kernel', guest.vmlinux ?? guest.kernel, '-initrd', guest.initrd,
      '-append', 'console=ttyS0 pxevirt.dhcp=off pxevirt.serial-flood',
      '-chardev', `socket,id=serial0,path=${join(runDir, 'serial.sock')},server=on,wait=off,logfile=${files.serialLog},logappend=on`,
      '-serial', 'chardev:serial0',
      '-qmp', `unix:${files.qmpSocket},server=on,wait=off`,
      '-pidfile', files.pidfile,
    ],
  });
  const guestProc = proc;

  // Sample the log as the guest writes, until it has been rotated six times (the guest has
  // written well over twice the cap by then).
  let largest = 0;
  let rotations = 0;
  let previousOld = '';
  let written = 0;
  const deadline = Date.now() + 240_000;
  while (rotations < 6) {
    assert.ok(Date.now() < deadline, `waited for 6 rotations, saw ${rotations}; largest serial.log ${largest} bytes`);
    assert.equal(guestProc.state, 'running', 'the guest keeps running');
    const size = (await stat(files.serialLog)).size;
    largest = Math.max(largest, size);
    assert.ok(size <= CAP, `serial.log is ${size} bytes, past its cap of ${CAP}`);
    const old = await readFile(`${files.serialLog}.1`, 'utf8').catch(() => '');
    const head = old.slice(0, 200);
    if (old !== '' && head !== previousOld) {
      rotations++;
      previousOld = head;
    }
    written = Math.max(written, lastFlood(await readFile(files.serialLog, 'utf8')));
    await new Promise((r) => setTimeout(r, 100)); // the sampling rate
  }
  assert.ok(largest <= CAP, `serial.log peaked at ${largest} bytes, cap ${CAP}`);
  assert.ok((await stat(`${files.serialLog}.1`)).size <= CAP, 'serial.log.1 is bounded too');
  assert.ok(written * 100 > 2 * CAP, `the guest wrote ${written} lines (~${written * 100} bytes), over twice the cap`);
  // The newest lines are at the end of serial.log, and they keep coming.
  const now = lastFlood(await readFile(files.serialLog, 'utf8'));
  assert.ok(now >= written, `serial.log ends with line ${now}, at least the ${written} seen before`);
});
