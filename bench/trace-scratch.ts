// scratch: timestamped serial + packets for one boot per side
import { writeFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, type NodeNamespace, type TestContextLike } from '../test/helpers/netns.ts';
import { startGuest } from '../test/helpers/qemu.ts';
import { stageImage, startPxeServe, tempDir, tinyLinuxServer } from '../test/helpers/pxe.ts';
import { buildTestGuest } from '../scripts/test-guest.ts';

const ADDRESS = '192.168.100.1/24';
const MARKER = 'PXEVIRT-GUEST name=tiny-linux ok';
const CMDLINE = 'console=ttyS0 quiet no_timer_check';
const out = process.env.OUT ?? '/tmp/boot15';

async function bootOnce(t: TestContextLike, node: NodeNamespace, firmware: 'bios' | 'uefi', mac: string, tag: string, serverLines?: () => string[]) {
  const tap = await node.addTap();
  const dump = node.spawn('tcpdump', ['-i', node.bridge, '-n', '-tt', '-l', '-vv', '-s', '400', 'not tcp or tcp[tcpflags] & (tcp-syn|tcp-fin) != 0 or (tcp and len < 700)'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let dumpText = '';
  dump.stdout!.on('data', (c: Buffer) => (dumpText += c.toString()));
  await new Promise((r) => setTimeout(r, 1000));
  const started = performance.now();
  const t0 = Date.now() / 1000;
  const guest = await startGuest(t, { ns: node, firmware, memoryMiB: 512, nics: [{ tap, mac, bootindex: 1, rom: true }] });
  let seen = 0;
  const serial: string[] = [];
  const poll = setInterval(async () => {
    const b = await readFile(guest.serialLog).catch(() => Buffer.alloc(0));
    if (b.length > seen) {
      const text = b.subarray(seen).toString('latin1');
      seen = b.length;
      serial.push(`${((performance.now() - started) / 1000).toFixed(2)} ${JSON.stringify(text.slice(0, 300))}`);
    }
  }, 50);
  await guest.waitFor(MARKER, { timeoutMs: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(poll);
  await guest.stop();
  dump.kill();
  const pkts = dumpText.split('\n').map((l) => { const m = /^(\d+\.\d+) (.*)$/.exec(l); return m ? `${(Number(m[1]) - t0).toFixed(3)} ${m[2]}` : `      ${l}`; });
  await writeFile(join(out, `${tag}.txt`), [`total ${seconds.toFixed(2)}`, '--- serial', ...serial, '--- packets', ...pkts, '--- server', ...(serverLines?.() ?? [])].join('\n'));
  return seconds;
}

async function viaPxevirt(t: TestContextLike, image: any, firmware: 'bios' | 'uefi') {
  const node = await createNodeNamespace(t, { address: ADDRESS });
  const pxe = await startPxeServe(t, node, tinyLinuxServer('br0', ADDRESS, '192.168.100.100-192.168.100.199', CMDLINE));
  await stageImage(pxe.root, 'tiny-linux', image);
  return bootOnce(t, node, firmware, 'de:00:00:00:b0:01', `pxevirt-${firmware}`, () => pxe.lines.map((l) => JSON.stringify(l)));
}

async function viaDnsmasq(t: TestContextLike, image: any, firmware: 'bios' | 'uefi') {
  const node = await createNodeNamespace(t, { address: ADDRESS });
  const dir = await tempDir(t, 'pxevirt-bench-dnsmasq-');
  const www = join(dir, 'www');
  await mkdir(www);
  await stageImage(www, 'tiny-linux', image);
  const base = 'http://192.168.100.1:8081';
  await writeFile(join(www, 'boot.ipxe'), `#!ipxe\nkernel ${base}/tiny-linux/vmlinuz initrd=initrd.gz ${CMDLINE}\ninitrd ${base}/tiny-linux/initrd.gz\nboot\n`);
  node.spawn('busybox', ['httpd', '-f', '-p', '192.168.100.1:8081', '-h', www]);
  node.spawn('dnsmasq', [
    '--no-daemon', '--port=0', '--interface=br0', '--bind-interfaces', '--conf-file=/dev/null',
    `--dhcp-leasefile=${join(dir, 'leases')}`, `--pid-file=${join(dir, 'pid')}`,
    '--dhcp-range=192.168.100.100,192.168.100.199,10m', '--dhcp-match=set:ipxe,175', `--dhcp-boot=tag:ipxe,${base}/boot.ipxe`,
  ]);
  await node.exec('sh', ['-c', 'for i in $(seq 100); do curl -sf -o /dev/null http://192.168.100.1:8081/boot.ipxe && exit 0; sleep 0.1; done; exit 1']);
  return bootOnce(t, node, firmware, 'de:00:00:00:b0:02', `dnsmasq-${firmware}`);
}

const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
try {
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const fws = (process.env.FW ?? 'bios,uefi').split(',') as Array<'bios' | 'uefi'>;
  for (const fw of fws) {
    console.error(fw, 'pxevirt', await viaPxevirt(t, image, fw), (await readFile('/proc/loadavg', 'utf8')).trim());
    if (!process.env.ONLY) console.error(fw, 'dnsmasq', await viaDnsmasq(t, image, fw), (await readFile('/proc/loadavg', 'utf8')).trim());
  }
} finally {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
}
