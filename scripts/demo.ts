// `make demo` (until the daemon exists): in a throwaway network namespace with a bridge,
// run `pxevirt pxe serve`, start a QEMU guest with MAC de:00:00:00:00:de that network-boots,
// and show the PXE server's timeline and the guest's serial console as it happens.
// Ctrl+C (or the end of a non-interactive run) removes everything it made.
import { createNodeNamespace } from '../test/helpers/netns.ts';
import { startGuest } from '../test/helpers/qemu.ts';
import { imageEntry, stageImage, startPxeServe, type LogLine } from '../test/helpers/pxe.ts';
import { buildTestGuest } from './test-guest.ts';

const MAC = 'de:00:00:00:00:de';
const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
const say = (text: string) => process.stdout.write(`${text}\n`);
const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  cleanups.length = 0;
}

function describe(line: LogLine): string | undefined {
  if (!line.proto || !line.event) return undefined;
  const extra = ['ip', 'file', 'image', 'reason', 'bytes', 'blksize']
    .filter((k) => line[k] !== undefined)
    .map((k) => `${k}=${String(line[k])}`)
    .join(' ');
  return `  pxe  ${String(line.proto).padEnd(4)} ${String(line.event).padEnd(12)} ${line.mac ?? ''} ${extra}`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root: it creates a network namespace, a bridge and a tap');
  say(bold('pxevirt demo: a guest with MAC de:00:00:00:00:de network-boots from pxevirt\'s PXE server'));
  say('building the test guest (a Debian kernel and a busybox initramfs; cached in build/guest)…');
  const image = await buildTestGuest({ name: 'tiny-linux' });

  const node = await createNodeNamespace(t, { bridge: 'br1', address: '192.168.100.1/24' });
  say(`node namespace ${node.name}: bridge br1 with 192.168.100.1/24 (the machine's own network is not touched)`);
  const pxe = await startPxeServe(t, node, {
    interface: 'br1',
    address: '192.168.100.1/24',
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199' },
    http: { port: 8080 },
    images: [imageEntry('tiny-linux', 'console=ttyS0')],
    hosts: [{ selector: { mac: MAC }, image: 'tiny-linux' }],
  });
  await stageImage(pxe.root, 'tiny-linux', image);
  say('pxevirt pxe serve is ready on br1: DHCP 192.168.100.100-199, TFTP, HTTP :8080');
  let shown = 0;
  const timer = setInterval(() => {
    for (; shown < pxe.lines.length; shown++) {
      const text = describe(pxe.lines[shown] as LogLine);
      if (text) say(dim(text));
    }
  }, 200);
  cleanups.push(() => clearInterval(timer));

  const tap = await node.addTap();
  say(`starting QEMU (TCG, SeaBIOS, virtio-net with iPXE ROM, MAC ${MAC}, bootindex 1, no disk); a network boot takes ~30 s here`);
  const guest = await startGuest(t, { ns: node, memoryMiB: 512, nics: [{ tap, mac: MAC, bootindex: 1, rom: true }] });
  await guest.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: 300_000 });
  const out = await guest.log();
  const start = out.indexOf('PXEVIRT-GUEST name=');
  say(bold('\nthe guest booted over the network; its serial console says:'));
  // Terminal queries the guest shell sends (cursor position) are not for this terminal.
  say(out.slice(start === -1 ? Math.max(0, out.length - 3000) : start).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").trimEnd());
  say(bold(`\nthe PXE server's timeline for ${MAC}:`));
  say(pxe.eventsFor(MAC).join(' → '));
  if (process.stdin.isTTY) {
    say('\nthe guest keeps running; press Ctrl+C to stop and remove everything');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
}

process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
try {
  await main();
} catch (err) {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  say('cleaned up: namespace, bridge, tap, QEMU and the PXE server are gone');
}
