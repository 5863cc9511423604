// The pure parts of bench/redfish.ts: libvirt's domain for the test guest (what pxevirt's
// VirtualMachine asks of QEMU: q35, SeaBIOS, one vCPU, no NIC, a virtio disk, the serial console
// in a file), the result's shape and its section of docs/benchmarks.md.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The user QEMU runs as on both sides (pxevirt's `-runas`, libvirt's qemu.conf `user`). */
export const QEMU_USER = 'pxevirt-qemu';
export const QEMU_BINARY = '/usr/bin/qemu-system-x86_64';

export interface BootRun {
  /** Client spawned → client exited (curl's POST answered; virsh start returned). */
  commandMs: number;
  /** Client spawned → a QEMU process of that side exists. */
  qemuMs: number;
  /** Client spawned → the first byte in the serial log (SeaBIOS printing: the guest runs). */
  firstByteMs: number;
  /** Client spawned → the guest's marker in its serial log. */
  markerMs: number;
  /** 1-minute load average when the run began. */
  load: number;
  /** Whether this side went first in its round. */
  first: boolean;
}

export interface RedfishBenchResult {
  name: 'redfish';
  rounds: number;
  guest: string;
  pxevirt: { runs: BootRun[]; p50: Timings };
  libvirt: { version: string; runs: BootRun[]; p50: Timings };
  /** pxevirt / libvirt, p50 of client spawned → marker (lower is better for pxevirt). */
  ratio: number;
  /** pxevirt / libvirt, p50 of client spawned → the firmware's first serial byte. */
  firstByteRatio: number;
  load: { min: number; max: number };
  argv: { pxevirt: string[]; libvirt: string[] };
  /** p50 ms of each step of pxevirt's runtime start (its 'QEMU started' log line) over the timed runs. */
  pxevirtStartSteps: Record<string, number>;
}

export type Timings = Pick<BootRun, 'commandMs' | 'qemuMs' | 'firstByteMs' | 'markerMs'> & { firstByteToMarkerMs: number };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function guestFiles(dir: string): { dir: string; disk: string; serialLog: string; vncSocket: string; serconPort: string } {
  const guest = join(dir, 'guest');
  return { dir: guest, disk: join(guest, 'disk.qcow2'), serialLog: join(guest, 'serial.log'), vncSocket: join(guest, 'vnc.sock'), serconPort: join(guest, 'sercon-port') };
}

/** p50 of each figure over the runs. */
export function p50Of(runs: BootRun[]): Timings {
  const at = (f: (r: BootRun) => number) => Math.round(median(runs.map(f)));
  return { commandMs: at((r) => r.commandMs), qemuMs: at((r) => r.qemuMs), firstByteMs: at((r) => r.firstByteMs), markerMs: at((r) => r.markerMs), firstByteToMarkerMs: at((r) => r.markerMs - r.firstByteMs) };
}

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/**
 * The libvirt domain: TCG (`type='qemu'`), q35 + SeaBIOS, no NIC, no USB, no balloon; a VGA
 * with VNC on a unix socket, as pxevirt gives a VMI by default (`-vga std -vnc unix:…`), and
 * SeaBIOS's text on COM1 through the same fw_cfg file pxevirt passes (`etc/sercon-port`).
 */
export function domainXml(o: { name: string; memoryMiB: number; disk: string; serialLog: string; vncSocket: string; serconPort: string; emulator?: string }): string {
  return `<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>${xmlText(o.name)}</name>
  <memory unit='MiB'>${o.memoryMiB}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os>
  <features><acpi/></features>
  <on_reboot>restart</on_reboot>
  <devices>
    <emulator>${xmlText(o.emulator ?? QEMU_BINARY)}</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${xmlText(o.disk)}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <controller type='usb' model='none'/>
    <serial type='file'><source path='${xmlText(o.serialLog)}'/><target port='0'/></serial>
    <graphics type='vnc'><listen type='socket' socket='${xmlText(o.vncSocket)}'/></graphics>
    <video><model type='vga'/></video>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline><qemu:arg value='-fw_cfg'/><qemu:arg value='name=etc/sercon-port,file=${xmlText(o.serconPort)}'/></qemu:commandline>
</domain>
`;
}

/** A process's argv ([] when it is gone). */
export async function qemuArgvOf(pid: number | undefined): Promise<string[]> {
  if (pid === undefined) return [];
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter((a) => a !== '');
}

export function renderRedfish(r: RedfishBenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (side: string, runs: BootRun[]) => runs.map((x) => `| ${side} | ${s(x.commandMs)} | ${s(x.qemuMs)} | ${s(x.firstByteMs)} | ${s(x.markerMs)} | ${x.load.toFixed(2)} | ${x.first ? 'first' : 'second'} |`);
  const p50 = (side: string, t: Timings) => `| **${side} p50** | ${s(t.commandMs)} | ${s(t.qemuMs)} | ${s(t.firstByteMs)} | **${s(t.markerMs)}** | | |`;
  return [
    '## Power-on through a BMC → the guest\'s marker: pxevirt Redfish vs `virsh start` (libvirt), issue 16',
    '',
    `bench/redfish.ts: ${r.guest}. pxevirt: \`curl -X POST …/redfish/v1/Systems/<id>/Actions/ComputerSystem.Reset\``,
    `\`{"ResetType":"On"}\` to \`pxevirt up\`'s API port (a VirtualMachine, runStrategy Halted, containerDisk cached). Peer: \`virsh start\``,
    `of a defined domain with the same disk (a fresh qcow2 overlay per boot over a copy of the file pxevirt's cache holds), libvirt ${r.libvirt.version}, walled off in`,
    'its own network and mount namespaces (bench/libvirt-isolated.ts). Both clients are spawned processes; clocks start at the spawn.',
    `${r.rounds} rounds, the two sides one after the other in each, the order alternating; the guest is powered off between runs.`,
    '',
    '| side | client exited | QEMU process exists | first serial byte (SeaBIOS runs) | marker on the serial console | load (1 min) | order in round |',
    '|---|---|---|---|---|---|---|',
    ...row('pxevirt', r.pxevirt.runs),
    ...row('libvirt', r.libvirt.runs),
    p50('pxevirt', r.pxevirt.p50),
    p50('libvirt', r.libvirt.p50),
    `| **pxevirt / libvirt (p50)** | | | ${r.firstByteRatio.toFixed(2)} | **${r.ratio.toFixed(2)}** | ${r.load.min.toFixed(2)}–${r.load.max.toFixed(2)} | |`,
    '',
    `The guest's own boot (first serial byte → marker, p50 of the runs): pxevirt ${s(r.pxevirt.p50.firstByteToMarkerMs)}, libvirt ${s(r.libvirt.p50.firstByteToMarkerMs)}.`,
    `pxevirt's runtime start steps (p50 ms, its 'QEMU started' log line): ${Object.entries(r.pxevirtStartSteps).map(([k, v]) => `${k} ${v}`).join(', ') || 'n/a'}.`,
    '',
  ];
}
