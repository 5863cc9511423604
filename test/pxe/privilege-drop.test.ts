// `pxe serve --user pxevirt-pxe` (issue 13): root binds DHCP 67/4011, TFTP 69 and HTTP, then the
// process becomes pxevirt-pxe for good — every thread, real/effective/saved/fs ids — before it
// says `ready`. After that a real client still gets its lease (leases.json written by the
// user) and a real TFTP client its file from the root, though the directory above the root and
// the state dir is closed to the user (they are held open by descriptor); a root closed to the
// user stops the start with a message naming the path and what it needs. Without `--user` it
// becomes pxevirt-pxe all the same; `--user root` keeps root.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_PXE_USER, resolveRunAsUser } from '../../src/runtime/run-as.ts';
import { scratchDir, startDhcpProcess, testConfig } from '../dhcp/server-process.ts';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';

const skip = await netnsUnavailable();

async function setup(t: Parameters<typeof createNodeNamespace>[0]) {
  const dir = await scratchDir(t, 'pxvt-drop-');
  await chmod(dir, 0o700); // closed to the user: it reaches the root and the state dir by descriptor
  const root = join(dir, 'root');
  await mkdir(root, { mode: 0o755 });
  const content = randomBytes(40_000);
  await writeFile(join(root, 'hello.bin'), content, { mode: 0o644 });
  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip"\n', { mode: 0o755 });
  const ns = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  return { dir, root, content, script, ns, stateDir: join(dir, 'state') };
}

test('pxe serve drops to pxevirt-pxe after binding and still leases and serves files', { skip, timeout: 120_000 }, async (t) => {
  const user = await resolveRunAsUser(DEFAULT_PXE_USER, 'user');
  const { dir, root, content, script, ns, stateDir } = await setup(t);
  const server = await startDhcpProcess(ns, testConfig(root), stateDir, { extraArgs: ['--user', user.name] });
  t.after(() => server.stop());
  assert.ok(server.pid !== undefined);
  assert.ok(server.lines.some((l) => l.msg === 'dropped root' && l.user === user.name), 'it says so before ready');

  // Every thread of the process (libuv's pool included) runs as the user.
  const tasks = await readdir(`/proc/${server.pid}/task`);
  assert.ok(tasks.length > 1, 'node has threads');
  for (const task of tasks) {
    const status = await readFile(`/proc/${server.pid}/task/${task}/status`, 'utf8');
    const u = user.uid;
    const g = user.gid;
    assert.match(status, new RegExp(`^Uid:\\t${u}\\t${u}\\t${u}\\t${u}$`, 'm'), `thread ${task}'s uids`);
    assert.match(status, new RegExp(`^Gid:\\t${g}\\t${g}\\t${g}\\t${g}$`, 'm'), `thread ${task}'s gids`);
    assert.match(status, new RegExp(`^Groups:\\t${g} ?$`, 'm'), `thread ${task}'s groups`);
  }

  // DHCP after the drop: a lease, written to leases.json by the user.
  const client = await ns.addClient({ mac: '02:00:00:00:d0:01' });
  const { stdout } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '2', '-i', 'eth0', '-s', script], { timeoutMs: 60_000 });
  const ip = /EVENT=bound ip=(\S+)/.exec(stdout)?.[1];
  assert.match(ip ?? '', /^192\.168\.100\.\d+$/, stdout);
  assert.deepEqual((await server.leaseFile()).leases.map((l) => [l.ip, l.mac, l.state]), [[ip, '02:00:00:00:d0:01', 'bound']]);
  const leaseFile = await stat(join(stateDir, 'leases.json'));
  assert.deepEqual([leaseFile.uid, leaseFile.mode & 0o777], [user.uid, 0o600], 'leases.json is the user\'s, 0600');

  // TFTP after the drop: atftp fetches the file byte for byte (each transfer opens a new socket).
  const fetcher = await ns.addClient({ mac: '02:00:00:00:d0:02', address: '192.168.100.5/24' });
  const out = join(dir, 'fetched.bin');
  await fetcher.exec('atftp', ['--option', 'blksize 1428', '-g', '-r', 'hello.bin', '-l', out, '192.168.100.1'], { timeoutMs: 60_000 });
  assert.ok((await readFile(out)).equals(content), 'the file arrived whole');
});

test('pxe serve --user refuses to start when the root is closed to the user', { skip, timeout: 60_000 }, async (t) => {
  const { root, ns, stateDir } = await setup(t);
  await chmod(root, 0o700);
  await assert.rejects(startDhcpProcess(ns, testConfig(root), stateDir, { extraArgs: ['--user', DEFAULT_PXE_USER], readyMs: 30_000 }), (err: Error) => {
    assert.match(err.message, new RegExp(`pxe serve --user ${DEFAULT_PXE_USER}: expected a root the user may read and search .* found EACCES at ${root}`));
    return true;
  });
});

/** The uid the process's main thread runs as. */
async function uidOf(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\t(\d+)/m.exec(status)?.[1]);
}

test('pxe serve without --user becomes pxevirt-pxe; --user root keeps root', { skip, timeout: 120_000 }, async (t) => {
  const user = await resolveRunAsUser(DEFAULT_PXE_USER, 'user');
  const { root, ns, stateDir, dir } = await setup(t);
  const dropped = await startDhcpProcess(ns, testConfig(root), stateDir);
  t.after(() => dropped.stop());
  assert.equal(await uidOf(dropped.pid), user.uid, 'the default is the dedicated user');
  assert.ok(dropped.lines.some((l) => l.msg === 'dropped root' && l.user === user.name));
  await dropped.stop();
  const kept = await startDhcpProcess(ns, testConfig(root), join(dir, 'state-root'), { extraArgs: ['--user', 'root'] });
  t.after(() => kept.stop());
  assert.equal(await uidOf(kept.pid), 0, '--user root opts out');
  assert.ok(!kept.lines.some((l) => l.msg === 'dropped root'));
});
