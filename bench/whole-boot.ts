// Whole network boot, power-on to the test guest's marker (issue 15 Must-show 1, issue 18
// Must-show 5): the same guest, firmware and kernel command line, served by `pxevirt pxe serve`
// and by dnsmasq + busybox httpd doing the same, interleaved in the same run. Rows:
//   bios   SeaBIOS + QEMU's iPXE ROM → HTTP script → kernel
//   uefi   OVMF + QEMU's iPXE ROM (its EFI driver) → the same
//   ipv6   OVMF PXEv6, IPv6 only (bench/whole-boot-ipv6.ts)
//   secure OVMF Secure Boot → shim → signed GRUB → signed kernel (bench/whole-boot-sb.ts)
//   vmi    a VMI booted by a PXEServer under `pxevirt up`, kubectl create → marker, against the
//          bios row's peer (bench/whole-boot-vmi.ts)
// The peer is what a dnsmasq user would write; it does not answer IPv6 router solicitations
// on an IPv4 segment (dnsmasq sends RAs only when given a prefix to advertise).
//   node --import tsx bench/whole-boot.ts [ROUNDS] [ROW,ROW…]
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace } from '../test/helpers/netns.ts';
import { stageImage, startPxeServe, tempDir, tinyLinuxServer } from '../test/helpers/pxe.ts';
import { buildTestGuest } from '../scripts/test-guest.ts';
import { bootToMarker, CMDLINE, interleave, medianSeconds, peerScript, spawnDnsmasq, spawnHttpd, type Image, type RowResult, type Side, type WholeBootRun } from './whole-boot-guest.ts';
import { ipv6Sides } from './whole-boot-ipv6.ts';
import { vmiPxevirt } from './whole-boot-vmi.ts';
import { secureBootSides, secureBootUnavailable } from './whole-boot-sb.ts';

const ADDRESS = '192.168.100.1/24';

export const ROWS = ['bios', 'vmi', 'uefi', 'ipv6', 'secure'] as const;
export type Row = (typeof ROWS)[number];

export interface WholeBootResult {
  rounds: number;
  rows: Partial<Record<Row, RowResult>>;
  /** Rows left out, and why (a missing firmware or package). */
  skipped: Partial<Record<Row, string>>;
}

const ipv4Pxevirt =
  (firmware: 'bios' | 'uefi'): Side =>
  async (t, image) => {
    const node = await createNodeNamespace(t, { address: ADDRESS });
    const pxe = await startPxeServe(t, node, tinyLinuxServer(node.bridge, ADDRESS, '192.168.100.100-192.168.100.199', CMDLINE));
    await stageImage(pxe.root, 'tiny-linux', image);
    const mac = 'de:00:00:00:b0:01';
    const run: WholeBootRun = await bootToMarker(t, node, mac, { firmware, rom: true });
    const status = JSON.parse((await node.exec('curl', ['-sf', 'http://192.168.100.1:8080/status'])).stdout) as { gaps?: Record<string, Array<{ seconds: number; cause: string }>> };
    run.gaps = (status.gaps?.[mac] ?? []).map((g) => ({ seconds: g.seconds, cause: g.cause }));
    return run;
  };

const ipv4Dnsmasq =
  (firmware: 'bios' | 'uefi'): Side =>
  async (t, image) => {
    const node = await createNodeNamespace(t, { address: ADDRESS });
    const dir = await tempDir(t, 'pxevirt-bench-dnsmasq-');
    const www = join(dir, 'www');
    await mkdir(www);
    await stageImage(www, 'tiny-linux', image);
    const base = 'http://192.168.100.1:8081';
    await writeFile(join(www, 'boot.ipxe'), peerScript(base));
    await spawnHttpd(node, www, '192.168.100.1:8081', `${base}/boot.ipxe`);
    spawnDnsmasq(node, dir, ['--dhcp-range=192.168.100.100,192.168.100.199,10m', '--dhcp-match=set:ipxe,175', `--dhcp-boot=tag:ipxe,${base}/boot.ipxe`]);
    return bootToMarker(t, node, 'de:00:00:00:b0:02', { firmware, rom: true });
  };

/** `rounds` boots per side and row, interleaved; rows whose firmware or packages are missing are skipped and say why. */
export async function benchWholeBoot(log: (s: string) => void = () => undefined, options: { rounds?: number; rows?: readonly Row[] } = {}): Promise<WholeBootResult> {
  const rounds = options.rounds ?? 1;
  const wanted = options.rows ?? ROWS;
  const image: Image = await buildTestGuest({ name: 'tiny-linux' });
  const all: Record<Row, { pxevirt: Side; dnsmasq: Side }> = {
    bios: { pxevirt: ipv4Pxevirt('bios'), dnsmasq: ipv4Dnsmasq('bios') },
    vmi: { pxevirt: vmiPxevirt, dnsmasq: ipv4Dnsmasq('bios') },
    uefi: { pxevirt: ipv4Pxevirt('uefi'), dnsmasq: ipv4Dnsmasq('uefi') },
    ipv6: ipv6Sides,
    secure: secureBootSides,
  };
  const skipped: WholeBootResult['skipped'] = {};
  const sbMissing = secureBootUnavailable();
  if (sbMissing !== undefined) skipped.secure = sbMissing;
  const rows = Object.fromEntries(wanted.filter((r) => skipped[r] === undefined).map((r) => [r, all[r]])) as Partial<typeof all>;
  return { rounds, rows: await interleave(rows as typeof all, image, rounds, log), skipped };
}

const LABELS: Record<Row, string> = {
  bios: 'BIOS (SeaBIOS + iPXE ROM), IPv4',
  vmi: 'BIOS, a VMI with a PXEServer (`pxevirt up`, kubectl create → marker)',
  uefi: 'UEFI (OVMF + iPXE ROM), IPv4',
  ipv6: 'UEFI IPv6-only (OVMF PXEv6 → ipxe.efi → iPXE over IPv6)',
  secure: 'UEFI Secure Boot (OVMF PXE → shim → signed GRUB → signed kernel)',
};

const runs = (xs: WholeBootRun[]) => xs.map((x) => `${x.seconds.toFixed(1)} (${x.load.toFixed(1)})`).join(', ');

/** The table rows (and skipped rows) for docs/benchmarks.md. */
export function renderWholeBoot(r: WholeBootResult): string[] {
  const rows = ROWS.filter((k) => r.rows[k] !== undefined).map((k) => {
    const x = r.rows[k]!;
    const gaps = [...x.pxevirt.flatMap((p) => p.gaps ?? []).map((g) => `${g.seconds} s ${g.cause}`), ...x.failures.map((f) => `failed: ${f}`)].join(', ') || 'none';
    return `| ${LABELS[k]} | ${medianSeconds(x.pxevirt).toFixed(1)} s | ${medianSeconds(x.dnsmasq).toFixed(1)} s | **${x.ratio.toFixed(2)}×** | ${runs(x.pxevirt)} | ${runs(x.dnsmasq)} | ${gaps} |`;
  });
  return [
    '## Whole network boot: power-on to the guest\'s marker (goal ≤ 0.5× dnsmasq)',
    '',
    `bench/whole-boot.ts (\`node --import tsx bench/whole-boot.ts [ROUNDS] [ROWS]\`; in \`make bench\` with ${r.rounds} round(s)):`,
    'the test guest (Debian kernel + busybox initramfs, the same kernel command line) network-booted by `pxevirt pxe serve` and by',
    'dnsmasq + busybox httpd doing the same, QEMU without KVM (TCG), 512 MiB, virtio-net. Each boot in a fresh namespace;',
    'the two sides alternate (which goes first alternates by round). Medians; every run with the 1-minute load average at power-on.',
    '',
    '| boot | pxevirt | dnsmasq + httpd | ratio | pxevirt runs, s (load) | dnsmasq runs, s (load) | gaps over 1 s seen by pxevirt |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...Object.entries(r.skipped).map(([k, why]) => `| ${LABELS[k as Row]} | not run: ${why} | | | | | |`),
    '',
    'Where the time goes and whose it is (firmware, the download iPXE paces, the guest kernel under TCG; the waits pxevirt',
    'removes): docs/boot-waits.md, "What remains".',
    '',
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rounds = Number(process.argv[2] ?? 1);
  const rows = process.argv[3]?.split(',') as Row[] | undefined;
  const r = await benchWholeBoot((s) => process.stderr.write(`${s}\n`), { rounds, ...(rows ? { rows } : {}) });
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n${renderWholeBoot(r).join('\n')}\n`);
}
