// Profiles pxevirt's TFTP server (test/helpers/tftp-runner.ts under `node --cpu-prof`) under
// one load: `lock` (one atftp client, blksize 1468, 64 MiB), `window` (the same, windowsize 16)
// or `storm` (100 atftp clients at once over 20 namespaces, 4 MiB each). The profile lands in
// OUT_DIR; summarise it with `node bench/profile-summary.mjs OUT_DIR/*.cpuprofile`.
// Usage: node --import tsx bench/tftp-profile.ts lock|window|storm OUT_DIR
import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createNodeNamespace, type Namespace } from '../test/helpers/netns.ts';
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const load = process.argv[2] ?? 'lock';
const out = resolve(process.argv[3] ?? 'build/profiles');
const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
try {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-tftp-profile-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'f'), randomBytes(load === 'storm' ? 4 << 20 : 64 << 20));
  const node = await createNodeNamespace(t, { address: '192.168.232.1/24' });
  const spaces: Namespace[] = [];
  for (let i = 0; i < (load === 'storm' ? 20 : 1); i++) spaces.push(await node.addClient({ address: `192.168.232.${10 + i}/24` }));
  await mkdir(out, { recursive: true });
  const child = node.spawn('node', ['--cpu-prof', `--cpu-prof-dir=${out}`, '--import', 'tsx', join(REPO, 'test/helpers/tftp-runner.ts'), dir, '192.168.232.1', '69'], { cwd: REPO });
  await new Promise<void>((r) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && r()));
  const opts = load === 'window' ? ['--option', 'blksize 1468', '--option', 'windowsize 16'] : ['--option', 'blksize 1468'];
  const t0 = performance.now();
  const n = load === 'storm' ? 100 : 1;
  await Promise.all(Array.from({ length: n }, (_, i) => spaces[i % spaces.length]!.exec('atftp', ['--get', '-r', 'f', '-l', join(dir, `got-${i}`), ...opts, '192.168.232.1', '69'], { timeoutMs: 300000 })));
  process.stdout.write(`${load}: ${((performance.now() - t0) / 1000).toFixed(2)} s\n`);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
