// The PXE server's install state end to end over real sockets: `pxevirt pxe serve` in a network
// namespace, a client namespace on its bridge using curl and busybox wget as an installer would.
// Templates render per host, a wrong doneURL is a 404 that changes nothing, the right one makes
// the host Provisioned, a `once` host then gets the local-boot answer (also after a restart),
// and `pxevirt pxe reprovision` sends it back to install.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNodeNamespace, netnsUnavailable, type Namespace } from '../helpers/netns.ts';
import { pxevirtBin, startPxeServe, tempDir } from '../helpers/pxe.ts';

const run = promisify(execFile);
const MAC = '02:00:00:00:79:01';
const SERVER = 'http://192.168.79.1:8080';
const skip = await netnsUnavailable();

const config = {
  interface: 'br1',
  address: '192.168.79.1/24',
  dhcp: { mode: 'off' },
  http: { port: 8080 },
  images: [{ name: 'installer', kernel: 'inst/vmlinuz', cmdline: 'console=ttyS0 ks={{files}}/ks.cfg done={{doneURL}} host={{mac}}' }],
  hosts: [{ selector: { mac: MAC }, image: 'installer', once: true }],
};

async function curl(client: Namespace, url: string): Promise<string> {
  return (await client.exec('curl', ['-sS', '--fail', '--max-time', '10', url])).stdout;
}

async function hostsOf(client: Namespace): Promise<Array<Record<string, string>>> {
  return (JSON.parse(await curl(client, `${SERVER}/status`)) as { hosts: Array<Record<string, string>> }).hosts;
}

test('templates, doneURL, local boot after install (and after a restart), reprovision', { skip, timeout: 120_000 }, async (t) => {
  const node = await createNodeNamespace(t, { bridge: 'br1', address: '192.168.79.1/24' });
  const work = await tempDir(t);
  const root = join(work, 'root');
  const stateDir = join(work, 'state');
  const socket = join(work, 'status.sock');
  await mkdir(join(root, 'inst'), { recursive: true });
  await writeFile(join(root, 'inst/vmlinuz'), 'kernel');
  await writeFile(join(root, 'ks.cfg.tmpl'), 'url {{files}}/disk.img\nmac {{mac}}\ndone {{doneURL}}\nkept {{other}}\n');
  let pxe = await startPxeServe(t, node, config, { root, stateDir, args: ['--status-socket', socket] });
  const client = await node.addClient({ mac: MAC, address: '192.168.79.50/24' });
  const bootUrl = `${SERVER}/boot.ipxe?mac=${MAC.replace(/:/g, '-')}&arch=bios`;

  // 1. The boot script: the cmdline rendered for this host, with this boot's doneURL.
  const script = await curl(client, bootUrl);
  const done = /done=(http:\/\/192\.168\.79\.1:8080\/done\/[A-Za-z0-9_-]{43}) host=02:00:00:00:79:01\n/.exec(script)?.[1];
  assert.ok(done, `a doneURL in the kernel line:\n${script}`);
  assert.match(script, /ks=http:\/\/192\.168\.79\.1:8080\/files\/ks\.cfg /);
  assert.deepEqual((await hostsOf(client)).map((h) => [h.mac, h.state, h.image]), [[MAC, 'Installing', 'installer']]);

  // 2. The kickstart, fetched as an installer would (no MAC in the query: known from the address).
  const ks = (await client.exec('busybox', ['wget', '-q', '-O', '-', `${SERVER}/files/ks.cfg`])).stdout;
  assert.equal(ks, `url ${SERVER}/files/disk.img\nmac ${MAC}\ndone ${done}\nkept {{other}}\n`);
  assert.ok(pxe.lines.some((l) => typeof l.msg === 'string' && l.msg.includes('left unknown variables as written: other')), 'the unknown variable is logged');

  // 3. A wrong token: 404, nothing changes.
  const wrong = await client.exec('busybox', ['wget', '-q', '-O', '-', '--post-data=', `${SERVER}/done/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`]).then(
    () => 'accepted',
    (err: Error & { stderr?: string }) => err.stderr ?? err.message,
  );
  assert.match(wrong, /404/);
  // A GET of the right one (a crawler, a link preview) is refused: only POST (or PUT) installs.
  assert.equal((await client.exec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', done])).stdout, '405');
  assert.equal((await hostsOf(client))[0]?.state, 'Installing');

  // 4. The installer reports done with busybox wget --post-data: Provisioned.
  const answer = (await client.exec('busybox', ['wget', '-q', '-O', '-', '--post-data=ok', done])).stdout;
  assert.match(answer, /02:00:00:00:79:01 provisioned with installer/);
  const [host] = await hostsOf(client);
  assert.equal(host?.state, 'Provisioned');
  assert.ok(host?.provisionedAt, 'provisionedAt is set');
  assert.equal(((await stat(join(stateDir, 'install.json'))).mode & 0o777).toString(8), '600');

  // 5. The next boot is the local-boot answer, on the timeline.
  assert.equal(await curl(client, bootUrl), '#!ipxe\necho pxevirt: 02:00:00:00:79:01 is installed (image installer): booting from the next device\nexit\n');
  await pxe.waitForLog((l) => l.event === 'local-boot' && l.mac === MAC, 'the local-boot event', 5000);
  const status = JSON.parse(await curl(client, `${SERVER}/status`)) as { timelines: Record<string, Array<{ event: string }>> };
  assert.ok(status.timelines[MAC]?.some((e) => e.event === 'local-boot'), 'the timeline shows the local-boot answer');

  // 6. It stays installed across a restart of the server.
  await pxe.stop();
  pxe = await startPxeServe(t, node, config, { root, stateDir, args: ['--status-socket', socket] });
  assert.match(await curl(client, bootUrl), /booting from the next device\nexit\n$/);
  assert.match(
    await client.exec('busybox', ['wget', '-q', '-O', '-', '--post-data=', done]).then(() => 'accepted', (err: Error & { stderr?: string }) => err.stderr ?? ''),
    /404/,
    'a spent doneURL is a 404',
  );

  // 7. `pxevirt pxe reprovision` sends it back: the next boot installs again, with a new doneURL.
  const { stdout } = await run(process.execPath, [pxevirtBin, 'pxe', 'reprovision', '--status-socket', socket, MAC.toUpperCase()]);
  assert.match(stdout, /02:00:00:00:79:01: sent back to install/);
  const again = await curl(client, bootUrl);
  assert.match(again, /^#!ipxe\n# pxevirt: image installer/);
  assert.ok(!again.includes(done), 'a new doneURL for the new boot');
  assert.equal((await hostsOf(client))[0]?.state, 'Installing');
});
