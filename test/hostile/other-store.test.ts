// A daemon started against another database (an empty one, in the same data dir) while a guest
// of the first run is running (issue 13): the guest is untouched — the same QEMU, its run dir
// and disks where they were — and the first daemon, back on its own database, adopts it Running.
// Real QEMU (TCG) under `pxevirt up`; the guest need not finish booting.
import assert from 'node:assert/strict';
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { diskVmiSpec, qemusWith, startVmiNode, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const skip = await vmiNodeUnavailable();
const DB_FILES = ['pxevirt.db', 'pxevirt.db-wal', 'pxevirt.db-shm'];

test('a daemon on an empty database leaves another run\'s running guest untouched, and its own daemon adopts it again', { skip, timeout: 900_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'console-disk', nodeName: 'node-stores' });
  const phase = () => node.jsonpath('vmi', 'kept', '{.status.phase}');
  const uid = await node.createVmi('kept', diskVmiSpec(node.image));
  await until('the VMI Running', async () => (await phase()) === 'Running', 300_000);
  const runDir = join(node.dataDir, 'run', 'vmi', uid);
  const [qemu, ...more] = await qemusWith(uid);
  assert.ok(qemu !== undefined && more.length === 0, 'one QEMU');
  const files = (await readdir(runDir)).sort();

  // The same data dir, an empty database: another store.
  const d = await node.restart(async () => {
    for (const f of DB_FILES) await rename(join(node.dataDir, f), join(node.dataDir, `${f}.kept`)).catch(() => undefined);
  });
  await until('the daemon to say it left the guest alone', async () => /a guest of another store is running here: left alone/.test(d.log()), 60_000);
  assert.equal((await node.kubectl(['get', 'vmi', '-o', 'name'])).trim(), '', 'the new store has no VMI');
  assert.deepEqual(await qemusWith(uid), [qemu], 'the other run\'s QEMU still runs');
  assert.deepEqual((await readdir(runDir)).sort(), files, 'its run dir (overlay, sockets, logs) is as it was');
  assert.deepEqual(await readdir(join(node.dataDir, 'run', 'quarantine')).catch(() => []), [], 'nothing moved aside while it runs');

  // Back on its own database, the first store adopts its guest: Running, the same QEMU.
  await node.restart(async () => {
    for (const f of DB_FILES) {
      await rm(join(node.dataDir, f), { force: true });
      await rename(join(node.dataDir, `${f}.kept`), join(node.dataDir, f)).catch(() => undefined);
    }
  });
  await until('the VMI Running again', async () => (await phase()) === 'Running', 120_000);
  assert.deepEqual(await qemusWith(uid), [qemu], 'adopted, not restarted');
  await node.kubectl(['delete', 'vmi', 'kept', '--timeout=120s']);
  await until('the QEMU gone', async () => (await qemusWith(uid)).length === 0, 120_000);
});
