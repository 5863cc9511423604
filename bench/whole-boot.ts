// Whole network boot, power-on to the test guest's marker: the same guest and image served by
// `pxevirt pxe serve` and by dnsmasq (DHCP, iPXE chained to an HTTP script) + busybox httpd,
// BIOS (SeaBIOS + QEMU's iPXE ROM) and UEFI (OVMF + QEMU's iPXE ROM), one boot each, in the
// same run. Peer setup is what a user of dnsmasq would write; it does not answer IPv6 router
// solicitations (dnsmasq sends RAs only when given a prefix to advertise).
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, type NodeNamespace, type TestContextLike } from '../test/helpers/netns.ts';
import { startGuest } from '../test/helpers/qemu.ts';
import { stageImage, startPxeServe, tempDir, tinyLinuxServer } from '../test/helpers/pxe.ts';
import { buildTestGuest } from '../scripts/test-guest.ts';

const ADDRESS = '192.168.100.1/24';
const MARKER = 'PXEVIRT-GUEST name=tiny-linux ok';
const CMDLINE = 'console=ttyS0 quiet no_timer_check';

export interface WholeBootRun {
  /** Seconds from QEMU's start to the guest's marker. */
  seconds: number;
  /** Gaps over a second that pxevirt's timeline explained (pxevirt runs only). */
  gaps?: Array<{ seconds: number; cause: string }>;
}

export interface WholeBootResult {
  bios: { pxevirt: WholeBootRun; dnsmasq: WholeBootRun; ratio: number };
  uefi: { pxevirt: WholeBootRun; dnsmasq: WholeBootRun; ratio: number };
}

type Image = { kernel: string; initrd: string };

async function bootOnce(t: TestContextLike, node: NodeNamespace, firmware: 'bios' | 'uefi', mac: string): Promise<number> {
  const tap = await node.addTap();
  const started = performance.now();
  const guest = await startGuest(t, { ns: node, firmware, memoryMiB: 512, nics: [{ tap, mac, bootindex: 1, rom: true }] });
  await guest.waitFor(MARKER, { timeoutMs: 300_000 });
  const seconds = (performance.now() - started) / 1000;
  await guest.stop();
  return seconds;
}

async function viaPxevirt(t: TestContextLike, image: Image, firmware: 'bios' | 'uefi'): Promise<WholeBootRun> {
  const node = await createNodeNamespace(t, { address: ADDRESS });
  const pxe = await startPxeServe(t, node, tinyLinuxServer('br0', ADDRESS, '192.168.100.100-192.168.100.199', CMDLINE));
  await stageImage(pxe.root, 'tiny-linux', image);
  const mac = 'de:00:00:00:b0:01';
  const seconds = await bootOnce(t, node, firmware, mac);
  const status = JSON.parse((await node.exec('curl', ['-sf', 'http://192.168.100.1:8080/status'])).stdout) as { gaps?: Record<string, Array<{ seconds: number; cause: string }>> };
  const gaps = (status.gaps?.[mac] ?? []).map((g) => ({ seconds: g.seconds, cause: g.cause }));
  return { seconds, gaps };
}

async function viaDnsmasq(t: TestContextLike, image: Image, firmware: 'bios' | 'uefi'): Promise<WholeBootRun> {
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
  return { seconds: await bootOnce(t, node, firmware, 'de:00:00:00:b0:02') };
}

/** One boot per server and firmware, each in its own namespace; cleanups registered on `t`. */
export async function benchWholeBoot(t: TestContextLike, log: (s: string) => void = () => undefined): Promise<WholeBootResult> {
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const result: Partial<WholeBootResult> = {};
  for (const firmware of ['bios', 'uefi'] as const) {
    const pxevirt = await viaPxevirt(t, image, firmware);
    log(`  ${firmware} pxevirt ${pxevirt.seconds.toFixed(1)} s`);
    const dnsmasq = await viaDnsmasq(t, image, firmware);
    log(`  ${firmware} dnsmasq ${dnsmasq.seconds.toFixed(1)} s`);
    result[firmware] = { pxevirt, dnsmasq, ratio: pxevirt.seconds / dnsmasq.seconds };
  }
  return result as WholeBootResult;
}

/** The markdown section for docs/benchmarks.md. */
export function renderWholeBoot(r: WholeBootResult): string[] {
  const row = (fw: 'bios' | 'uefi') => {
    const x = r[fw];
    const gaps = (x.pxevirt.gaps ?? []).map((g) => `${g.seconds} s ${g.cause}`).join(', ') || 'none';
    return `| ${fw === 'bios' ? 'BIOS (SeaBIOS + iPXE ROM)' : 'UEFI (OVMF + iPXE ROM)'} | ${x.pxevirt.seconds.toFixed(1)} s | ${x.dnsmasq.seconds.toFixed(1)} s | ${x.ratio.toFixed(2)}× | ${gaps} |`;
  };
  return [
    '## Whole network boot: power-on to the guest\'s marker (goal ≤ 0.5× dnsmasq)',
    '',
    'bench/whole-boot.ts: the test guest (Debian kernel + busybox initramfs) network-booted by `pxevirt pxe serve` and by',
    'dnsmasq (DHCP, iPXE chained to an HTTP script) + busybox httpd, one boot each, QEMU without KVM (TCG), virtio-net with',
    "QEMU's iPXE ROM. Gaps are the ones pxevirt's timeline explained (docs/boot-waits.md lists every wait and its cause).",
    '',
    '| firmware | pxevirt | dnsmasq + httpd | ratio | gaps over 1 s seen by pxevirt |',
    '|---|---|---|---|---|',
    row('bios'),
    row('uefi'),
    '',
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cleanups: Array<() => unknown> = [];
  try {
    const r = await benchWholeBoot({ after: (fn) => void cleanups.push(fn) }, (s) => process.stderr.write(`${s}\n`));
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n${renderWholeBoot(r).join('\n')}\n`);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
