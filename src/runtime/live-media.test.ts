import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { planVmi } from '../resources/device-plan.ts';
import type { VmiSpec } from '../resources/vmi-schema.ts';
import { VIRTUAL_CD_NAME, VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';
import { changeMedium, LiveMediaError, mediaSteps, placeForQemu, virtualCdOf } from './live-media.ts';
import { qemuArgs } from './qemu-args.ts';

const spec = { domain: { memory: { guest: '256Mi' }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } }, volumes: [{ name: 'root', containerDisk: { image: 'x/y:1' } }] } as unknown as VmiSpec;
const plan = (annotations: Record<string, string>) => planVmi({ metadata: { name: 'a', namespace: 'ns', uid: 'u1', annotations }, spec });
const values = (args: string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));

test('a VMI whose VM had media but has none inserted gets an empty read-only CD drive QMP can fill; the record names its device', () => {
  const p = plan({ [VIRTUAL_MEDIA_ANNOTATION]: '{"vmUid":"vm-1"}' });
  const args = qemuArgs(p, { runDir: '/r', accel: 'tcg', nics: [], disks: [{ name: 'root', path: '/r/root.qcow2', format: 'qcow2' }, { name: VIRTUAL_CD_NAME, path: '', format: 'raw', readonly: true, cdrom: true, empty: true }] });
  assert.deepEqual(values(args, '-drive').slice(0, 2), ['if=none,id=drive-disk0,file=/r/root.qcow2,format=qcow2', 'if=none,id=drive-disk1,readonly=on']);
  assert.ok(values(args, '-device').includes('ide-cd,id=disk1,bus=ide.0,drive=drive-disk1'));
  assert.deepEqual(virtualCdOf(p), { virtualCd: 'disk1' });
  assert.deepEqual(virtualCdOf(plan({})), {}, 'a VM without BMC media: no drive, nothing recorded');
});

test('the QMP steps: the tray forced open and the medium removed, then the new one inserted (the tray closes) or the tray closed empty', async () => {
  assert.deepEqual(
    mediaSteps('disk1', '/proc/self/fd/3/virtual-cd.iso').map((s) => s.command),
    ['blockdev-open-tray', 'blockdev-remove-medium', 'blockdev-change-medium'],
  );
  assert.deepEqual(mediaSteps('disk1', '/x.iso')[2]?.args, { id: 'disk1', filename: '/x.iso', format: 'raw', 'read-only-mode': 'read-only' });
  assert.deepEqual(mediaSteps('disk1', '/x.iso')[0]?.args, { id: 'disk1', force: true }, 'a guest that locked the tray is not asked');
  assert.deepEqual(mediaSteps('disk1', undefined).map((s) => s.command), ['blockdev-open-tray', 'blockdev-remove-medium', 'blockdev-close-tray']);
  const seen: string[] = [];
  await assert.rejects(
    changeMedium('u1', async (c) => {
      seen.push(c);
      if (c === 'blockdev-change-medium') throw new Error("Could not open '/x.iso'");
    }, mediaSteps('disk1', '/x.iso')),
    (e: unknown) => e instanceof LiveMediaError && /VMI u1: changing the virtual CD live failed at QMP blockdev-change-medium: Could not open/.test(e.message),
  );
  assert.equal(seen.length, 3);
});

test('the image is linked where QEMU opens it, readable by its group and not writable, replacing the last one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-live-media-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'cd.iso');
  writeFileSync(source, 'one', { mode: 0o600 });
  const placed = join(dir, 'virtual-cd.iso');
  await placeForQemu(source, placed, 4321);
  const s = statSync(placed);
  assert.deepEqual([s.ino, s.gid, s.mode & 0o777], [statSync(source).ino, 4321, 0o640], 'a hard link of the same inode');
  rmSync(source);
  writeFileSync(source, 'two');
  await placeForQemu(source, placed, undefined);
  assert.equal(readFileSync(placed, 'utf8'), 'two');
});
