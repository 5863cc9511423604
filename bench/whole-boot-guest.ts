// What every whole-boot row shares: one guest powered on to its marker, its own namespace and
// servers torn down right after (so boots do not pile up), the peer's dnsmasq and busybox
// httpd, and the machine's load average at power-on (the machine is shared; see the figures).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeNamespace, TestContextLike } from '../test/helpers/netns.ts';
import { startGuest, type StartGuestOptions } from '../test/helpers/qemu.ts';

export const MARKER = 'PXEVIRT-GUEST name=tiny-linux ok';
/** The same kernel command line on both sides. */
export const CMDLINE = 'console=ttyS0 quiet no_timer_check';

export type Image = { kernel: string; initrd: string };

export interface WholeBootRun {
  /** Seconds from QEMU's start (power-on) to the guest's marker. */
  seconds: number;
  /** The 1-minute load average when the guest was powered on. */
  load: number;
  /** Gaps over a second that pxevirt's timeline explained (pxevirt runs only). */
  gaps?: Array<{ seconds: number; cause: string }>;
}

/** One side of a row: sets up its servers on `t` and boots the guest once. */
export type Side = (t: TestContextLike, image: Image) => Promise<WholeBootRun>;

/** Runs `fn` with a cleanup scope of its own, closed (newest first) when it settles. */
export async function scoped<T>(fn: (t: TestContextLike) => Promise<T>): Promise<T> {
  const cleanups: Array<() => unknown> = [];
  try {
    return await fn({ after: (f) => void cleanups.push(f) });
  } finally {
    for (const f of cleanups.reverse()) await Promise.resolve(f()).catch(() => undefined);
  }
}

const loadAverage = async () => Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);

/** Powers on a guest with one NIC on a new tap of `node` (boot index 1) and times it to the marker. */
export async function bootToMarker(t: TestContextLike, node: NodeNamespace, mac: string, options: Omit<StartGuestOptions, 'nics' | 'ns'> & { rom: boolean }): Promise<Omit<WholeBootRun, 'gaps'>> {
  const tap = await node.addTap();
  const { rom, ...rest } = options;
  const load = await loadAverage();
  const started = performance.now();
  const guest = await startGuest(t, { memoryMiB: 512, ...rest, ns: node, nics: [{ tap, mac, bootindex: 1, rom }] });
  await guest.waitFor(MARKER, { timeoutMs: Number(process.env.PXEVIRT_BENCH_BOOT_TIMEOUT_MS ?? 600_000) });
  const seconds = (performance.now() - started) / 1000;
  await guest.stop();
  return { seconds, load };
}

/** dnsmasq with no DNS, no config file, leases, pid and log under `dir`, on the node's bridge; `args` add the DHCP/TFTP/RA setup. */
export function spawnDnsmasq(node: NodeNamespace, dir: string, args: string[]): void {
  node.spawn('dnsmasq', [
    '--no-daemon', '--port=0', `--interface=${node.bridge}`, '--bind-interfaces', '--conf-file=/dev/null',
    `--dhcp-leasefile=${join(dir, 'leases')}`, `--pid-file=${join(dir, 'pid')}`, `--log-facility=${join(dir, 'dnsmasq.log')}`, ...args,
  ]);
}

/** busybox httpd serving `www` on `listen` (`addr:port` or `[v6]:port`); resolves once `probeUrl` answers. */
export async function spawnHttpd(node: NodeNamespace, www: string, listen: string, probeUrl: string): Promise<void> {
  node.spawn('busybox', ['httpd', '-f', '-p', listen, '-h', www]);
  await node.exec('sh', ['-c', `for i in $(seq 100); do curl -sf -o /dev/null '${probeUrl}' && exit 0; sleep 0.1; done; exit 1`]);
}

/** The iPXE script the peer serves: the same kernel, initrd and command line pxevirt's script names. */
export const peerScript = (base: string) => `#!ipxe\nkernel ${base}/tiny-linux/vmlinuz initrd=initrd.gz ${CMDLINE}\ninitrd ${base}/tiny-linux/initrd.gz\nboot\n`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export interface RowResult {
  pxevirt: WholeBootRun[];
  dnsmasq: WholeBootRun[];
  /** Median over median (NaN when a side has no run). */
  ratio: number;
  /** Boots that did not reach the marker, as `side: why`. */
  failures: string[];
}

/** Boots each row's two sides `rounds` times, interleaved: which side goes first alternates by round. */
export async function interleave<K extends string>(rows: Record<K, { pxevirt: Side; dnsmasq: Side }>, image: Image, rounds: number, log: (s: string) => void): Promise<Record<K, RowResult>> {
  const out = {} as Record<K, RowResult>;
  for (const key of Object.keys(rows) as K[]) out[key] = { pxevirt: [], dnsmasq: [], ratio: NaN, failures: [] };
  for (let round = 0; round < rounds; round++) {
    for (const key of Object.keys(rows) as K[]) {
      const order = round % 2 === 0 ? (['pxevirt', 'dnsmasq'] as const) : (['dnsmasq', 'pxevirt'] as const);
      for (const side of order) {
        try {
          const run = await scoped((t) => rows[key][side](t, image));
          out[key][side].push(run);
          log(`  ${key} ${side} ${run.seconds.toFixed(1)} s (load ${run.load.toFixed(1)})`);
        } catch (err) {
          // One failed boot must not lose the other rows' figures; it is reported with the row.
          out[key].failures.push(`${side}: ${(err as Error).message.split('\n')[0]}`);
          log(`  ${key} ${side} FAILED: ${(err as Error).message.slice(0, 2000)}`);
        }
      }
    }
  }
  for (const r of Object.values(out) as RowResult[]) r.ratio = median(r.pxevirt.map((x) => x.seconds)) / median(r.dnsmasq.map((x) => x.seconds));
  return out;
}

export const medianSeconds = (runs: WholeBootRun[]) => median(runs.map((r) => r.seconds));
