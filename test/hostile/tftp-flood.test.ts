// Issue 13, played as the attacker on the guest network: a flood of TFTP requests from many
// addresses, each asking timeout=255 and the largest window and block, never acknowledging
// (spoofed or abandoned). While it runs, a real atftp client must still get its file, and
// the server's transfers and open files must stay under the caps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, ip } from '../helpers/netns.ts';
import { repoRoot, startPxeServe, tempDir } from '../helpers/pxe.ts';

const SERVER = '192.168.241.1';
const SOURCES = Array.from({ length: 40 }, (_, i) => `192.168.241.${100 + i}`);
const CAPS = { perClient: 8, overall: 128 };

async function serverPid(ns: string): Promise<number> {
  for (const pid of (await ip('netns', 'pids', ns)).split(/\s+/).filter(Boolean)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes('serve') && cmdline.includes('pxe')) return Number(pid);
  }
  throw new Error(`expected a pxe serve process in namespace ${ns}, found none`);
}

test('a flood of never-acknowledged RRQs asking timeout=255 leaves a real atftp client served and the server bounded', async (t) => {
  const node = await createNodeNamespace(t, { address: `${SERVER}/24`, mtu: 1500 });
  const attacker = await node.addClient({ address: `${SOURCES[0]}/24` });
  for (const source of SOURCES.slice(1)) await attacker.exec('ip', ['addr', 'add', `${source}/24`, 'dev', 'eth0']);
  const victim = await node.addClient({ address: `${SERVER.replace(/1$/, '2')}/24` });
  const pxe = await startPxeServe(t, node, { interface: 'br0', address: `${SERVER}/24`, dhcp: { mode: 'off' }, http: { port: 8080 } });
  const file = randomBytes(4 << 20);
  await writeFile(join(pxe.root, 'big.bin'), file);
  const pid = await serverPid(node.name);
  const fds = async () => (await readdir(`/proc/${pid}/fd`)).length;
  const status = async () => JSON.parse((await node.exec('curl', ['-sf', `http://${SERVER}:8080/status`])).stdout) as { tftp: { active: number; refused: { perClient: number; overall: number }; evicted: number } };
  const idleFds = await fds();

  const flooding = attacker.exec(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/hostile/tftp-flooder.ts'), JSON.stringify({ server: SERVER, sources: SOURCES, rounds: 15, roundMs: 200, file: 'big.bin' })], { timeoutMs: 120_000 });
  let maxFds = 0;
  let maxActive = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      maxFds = Math.max(maxFds, await fds());
      maxActive = Math.max(maxActive, (await status()).tftp.active);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  t.after(() => {
    sampling = false;
  });
  // Let the flood fill the caps first, then the real client asks for the same file.
  await pxe.waitForLog((l) => l.proto === 'tftp' && typeof l.reason === 'string' && /server busy|evicted/.test(l.reason), 'a busy refusal or an eviction', 60_000);
  const local = join(await tempDir(t), 'got.bin');
  await victim.exec('atftp', ['--get', '-r', 'big.bin', '-l', local, '--option', 'blksize 1468', SERVER, '69'], { timeoutMs: 60_000 });
  assert.ok((await readFile(local)).equals(file), 'the real client got the whole file, byte for byte');
  const flood = JSON.parse((await flooding).stdout.trim()) as { sent: number; oack: number; errors: Record<string, number> };
  sampling = false;
  await sampler;

  const after = await status();
  t.diagnostic(`flood ${JSON.stringify(flood)}; server ${JSON.stringify(after.tftp)}; most transfers at once ${maxActive}; open files idle ${idleFds}, at most ${maxFds}`);
  assert.equal(flood.sent, SOURCES.length * 15);
  assert.ok(after.tftp.refused.perClient + after.tftp.evicted > 0, `expected refusals or evictions, found ${JSON.stringify(after.tftp)}`);
  assert.ok(maxActive <= CAPS.overall, `expected at most ${CAPS.overall} transfers at once, found ${maxActive}`);
  // Each transfer holds one socket and one file; the request sockets and the rest are fixed.
  assert.ok(maxFds <= idleFds + 2 * CAPS.overall + 8, `expected at most ${idleFds + 2 * CAPS.overall + 8} open files, found ${maxFds} (idle ${idleFds})`);
  // The clamp: each OACK the flood got carried timeout 5, so abandoned transfers end within 6 × 5 s.
  const oacks = pxe.lines.filter((l) => l.proto === 'tftp' && l.event === 'oack');
  assert.ok(oacks.length > 0 && oacks.every((l) => (l.options as Record<string, string>).timeout === undefined || (l.options as Record<string, string>).timeout === '5'), 'every OACK answers the clamped timeout');
});
