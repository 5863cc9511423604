// Whole network boot over IPv6 only (issue 18 Must-show 5): OVMF without an option ROM boots
// PXEv6 (DHCPv6 → TFTP ipxe.efi → iPXE over IPv6 → HTTP script → kernel) from `pxevirt pxe
// serve` and from dnsmasq doing the same (DHCPv6 range, router advertisements, TFTP, user class
// iPXE → script URL) + busybox httpd, one boot each, in the same run. Power-on to the marker.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, ip, type NodeNamespace, type TestContextLike } from '../test/helpers/netns.ts';
import { startGuest } from '../test/helpers/qemu.ts';
import { imageEntry, stageImage, startPxeServe, tempDir } from '../test/helpers/pxe.ts';
import { buildTestGuest } from '../scripts/test-guest.ts';

const SERVER = 'fd00:100::1';
const MARKER = 'PXEVIRT-GUEST name=tiny-linux ok';
const CMDLINE = 'console=ttyS0 quiet no_timer_check';
/** Only the IPv6 boot options (OvmfPkg/RUNTIME_CONFIG.md), PXEv6 first. */
const FW_CFG = ['-fw_cfg', 'name=opt/org.tianocore/IPv4Support,string=no'];

export interface Ipv6BootResult {
  pxevirt: number;
  dnsmasq: number;
  ratio: number;
}

type Image = { kernel: string; initrd: string };

async function ipv6Node(t: TestContextLike): Promise<NodeNamespace> {
  const node = await createNodeNamespace(t);
  await ip('-n', node.name, '-6', 'addr', 'add', `${SERVER}/64`, 'dev', node.bridge, 'nodad');
  return node;
}

async function bootOnce(t: TestContextLike, node: NodeNamespace, mac: string): Promise<number> {
  const tap = await node.addTap();
  const started = performance.now();
  const guest = await startGuest(t, { ns: node, firmware: 'uefi', memoryMiB: 512, nics: [{ tap, mac, bootindex: 1, rom: false }], extraArgs: FW_CFG });
  await guest.waitFor(MARKER, { timeoutMs: 400_000 });
  const seconds = (performance.now() - started) / 1000;
  await guest.stop();
  return seconds;
}

async function viaPxevirt(t: TestContextLike, image: Image): Promise<number> {
  const node = await ipv6Node(t);
  const pxe = await startPxeServe(t, node, {
    interface: node.bridge,
    ipv6: { address: `${SERVER}/64`, dhcp: { mode: 'stateful', range: 'fd00:100::1000-fd00:100::1fff' } },
    http: { port: 8080 },
    images: [imageEntry('tiny-linux', CMDLINE)],
    defaultImage: 'tiny-linux',
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  return bootOnce(t, node, 'de:00:00:00:b6:01');
}

async function viaDnsmasq(t: TestContextLike, image: Image): Promise<number> {
  const node = await ipv6Node(t);
  const dir = await tempDir(t, 'pxevirt-bench-dnsmasq6-');
  const www = join(dir, 'www');
  await mkdir(www);
  await stageImage(www, 'tiny-linux', image);
  await copyFile('/usr/lib/ipxe/ipxe.efi', join(www, 'ipxe.efi'));
  const base = `http://[${SERVER}]:8081`;
  await writeFile(join(www, 'boot.ipxe'), `#!ipxe\nkernel ${base}/tiny-linux/vmlinuz initrd=initrd.gz ${CMDLINE}\ninitrd ${base}/tiny-linux/initrd.gz\nboot\n`);
  node.spawn('busybox', ['httpd', '-f', '-p', `[${SERVER}]:8081`, '-h', www]);
  node.spawn('dnsmasq', [
    '--no-daemon', '--port=0', `--interface=${node.bridge}`, '--bind-interfaces', '--conf-file=/dev/null',
    `--dhcp-leasefile=${join(dir, 'leases')}`, `--pid-file=${join(dir, 'pid')}`,
    // Router advertisements with the range's prefix (M flag), router lifetime 0 like pxevirt's.
    '--enable-ra', `--ra-param=${node.bridge},60,0`, '--dhcp-range=fd00:100::1000,fd00:100::1fff,64,10m',
    '--enable-tftp', `--tftp-root=${www}`,
    '--dhcp-userclass=set:ipxe,iPXE', `--dhcp-option=tag:ipxe,option6:bootfile-url,${base}/boot.ipxe`,
    `--dhcp-option=tag:!ipxe,option6:bootfile-url,tftp://[${SERVER}]/ipxe.efi`,
  ]);
  await node.exec('sh', ['-c', `for i in $(seq 100); do curl -sf -o /dev/null ${base}/boot.ipxe && exit 0; sleep 0.1; done; exit 1`]);
  return bootOnce(t, node, 'de:00:00:00:b6:02');
}

/** One IPv6 PXE boot per server, each in its own namespace; cleanups registered on `t`. */
export async function benchWholeBootIpv6(t: TestContextLike, log: (s: string) => void = () => undefined): Promise<Ipv6BootResult> {
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxevirt = await viaPxevirt(t, image);
  log(`  ipv6 pxevirt ${pxevirt.toFixed(1)} s`);
  const dnsmasq = await viaDnsmasq(t, image);
  log(`  ipv6 dnsmasq ${dnsmasq.toFixed(1)} s`);
  return { pxevirt, dnsmasq, ratio: pxevirt / dnsmasq };
}

/** The table row for docs/benchmarks.md, beside the IPv4 rows of the whole-boot table. */
export function renderWholeBootIpv6(r: Ipv6BootResult): string {
  return `| UEFI IPv6-only (OVMF PXEv6 → ipxe.efi → iPXE over IPv6) | ${r.pxevirt.toFixed(1)} s | ${r.dnsmasq.toFixed(1)} s | ${r.ratio.toFixed(2)}× | — |`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cleanups: Array<() => unknown> = [];
  try {
    const r = await benchWholeBootIpv6({ after: (fn) => void cleanups.push(fn) }, (s) => process.stderr.write(`${s}\n`));
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n${renderWholeBootIpv6(r)}\n`);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
