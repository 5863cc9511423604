// The whole install flow of issue 14 (test/install/flow.ts, the same as its end-to-end test):
// with the PXEServer Ready on the seed NAD, the time from `kubectl create` of the VirtualMachine
// (a blank DataVolume template as its disk, the NIC first) to the installed disk's marker on
// the serial console, and its steps: the VMI Running, the installer's "done, rebooting" (disk
// written, doneURL POSTed). One run: a boot under emulation takes tens of seconds.
//   node --import tsx bench/install.ts   prints the JSON result and the table
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { installLinePrefix } from '../scripts/guest/init-script.ts';
import type { TestContextLike } from '../test/helpers/netns.ts';
import { until } from '../test/helpers/vmi-node.ts';
import { installVm, startInstallFlow } from '../test/install/flow.ts';

export interface InstallBenchResult {
  name: 'install';
  diskBytes: number;
  /** kubectl create → VMI Running. */
  toRunningMs: number;
  /** kubectl create → the installer's "done, rebooting". */
  toInstalledMs: number;
  /** kubectl create → the installed disk's marker (the whole flow). */
  toDiskMarkerMs: number;
}

export async function benchInstall(scope: TestContextLike, log: (t: string) => void = () => undefined): Promise<InstallBenchResult> {
  const flow = await startInstallFlow(scope, { name: 'bench' });
  await flow.startPxeServer();
  const started = performance.now();
  await flow.kubectl(['create', '-f', '-'], JSON.stringify(installVm('bench', flow.size)));
  const uid = await until('the VMI to be Running', async () => ((await flow.jsonpath('vmi', 'bench', '{.status.phase}')) === 'Running' ? flow.jsonpath('vmi', 'bench', '{.metadata.uid}') : undefined), 300_000);
  const toRunningMs = performance.now() - started;
  let toInstalledMs = 0;
  await until('the installed disk\'s marker', async () => {
    const serial = await flow.serial(uid);
    if (!toInstalledMs && serial.includes(`${installLinePrefix}done, rebooting`)) toInstalledMs = performance.now() - started;
    if (serial.includes(`${installLinePrefix}failed`)) throw new Error(`the install failed:\n${serial.slice(-2000)}`);
    return serial.includes(flow.disk.marker);
  }, 900_000);
  const toDiskMarkerMs = performance.now() - started;
  log(`  install flow: Running ${(toRunningMs / 1000).toFixed(1)} s, installed ${(toInstalledMs / 1000).toFixed(1)} s, disk marker ${(toDiskMarkerMs / 1000).toFixed(1)} s`);
  await flow.kubectl(['delete', 'vm', 'bench', '--wait=false']);
  return { name: 'install', diskBytes: (await stat(flow.disk.path)).size, toRunningMs: Math.round(toRunningMs), toInstalledMs: Math.round(toInstalledMs), toDiskMarkerMs: Math.round(toDiskMarkerMs) };
}

export function renderInstall(r: InstallBenchResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  return [
    '## The whole install flow (issue 14), `kubectl create` → the installed disk\'s marker',
    '',
    'bench/install.ts, the flow of test/install/install-flow.test.ts: a PXEServer (Ready beforehand) on the seed NAD whose',
    '`once` host entry serves the installer (the test guest) for the VM\'s MAC; the VM has a blank DataVolume template as',
    `its virtio disk (bootOrder 2) and a bridge NIC (bootOrder 1). The installer writes a ${(r.diskBytes / 2 ** 20).toFixed(0)} MiB bootable disk image from`,
    '`{{files}}`, POSTs `{{doneURL}}` and reboots; iPXE gets the local-boot answer and SeaBIOS boots the disk. Two boots',
    'under software emulation (TCG): most of the time is the guests booting, not pxevirt.',
    '',
    '| step (from `kubectl create`) | time |',
    '|---|---|',
    `| VMI Running (blank DataVolume Succeeded, pod network, QEMU started) | ${s(r.toRunningMs)} |`,
    `| installer done (PXE boot, disk written, doneURL POSTed) | ${s(r.toInstalledMs)} |`,
    `| **the installed disk\'s marker (the whole flow)** | **${s(r.toDiskMarkerMs)}** |`,
    '',
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cleanups: Array<() => unknown> = [];
  try {
    const result = await benchInstall({ after: (fn) => void cleanups.push(fn) }, (t) => process.stderr.write(`${t}\n`));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n${renderInstall(result).join('\n')}\n`);
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
