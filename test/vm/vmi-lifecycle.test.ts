// `pxevirt up` end to end with real QEMU under TCG: a VMI whose containerDisk comes from a
// local registry (through --registry-mirror docker.io=…) boots to its marker, reaches
// Running on the node named by --node-name, shows in `kubectl get vmi`, in Events and in
// /metrics, survives a kill -9 of the daemon (adopted), powers itself off (Succeeded) and is
// deleted with grace 0 leaving nothing behind. A VirtualMachine booted at the same time (to
// keep boots few) is started and restarted with the CLI verbs, recreated after its QEMU is
// killed (runStrategy Always; the killed guest's VMI reports the crash), and stopped. Both
// guests are paused and unpaused with virtctl's verbs after adoption.
// The daemon runs in the machine's network namespace (it must reach the test's loopback
// registry); its pods are network namespaces with a prefix unique to this run, removed after.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DaemonProcess } from '../api/daemon-process.ts';
import { pxevirt as runCli } from '../cli/cli-process.ts';
import { ACPI_POWER_BUTTON_LINE } from '../../scripts/test-guest.ts';
import { isSpareNetns } from '../../src/runtime/netns-spare.ts';
import { namespacesWithPrefix, podNamespaces } from '../helpers/netns.ts';
import { cleanSerial, qemusWith, startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const skip = await vmiNodeUnavailable();

const IMAGE = 'pxevirt/vm-disk-acpi:latest';

function vmiSpec(): Record<string, unknown> {
  return {
    domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
    terminationGracePeriodSeconds: 30,
    volumes: [{ name: 'root', containerDisk: { image: IMAGE } }],
  };
}

async function serialHas(d: DaemonProcess, uid: string, marker: string): Promise<boolean> {
  const log = cleanSerial(await readFile(join(d.dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').catch(() => ''));
  return log.includes(marker);
}

test('a VMI and a VM boot from a mirrored containerDisk, report Running, and are stopped and deleted cleanly', { skip, timeout: 900_000 }, async (t) => {
  // The guest answers the ACPI power button (busybox acpid), as a soft reboot needs.
  const node = await startVmiNode(t, { name: 'vm-disk-acpi', nodeName: 'node-e2e', settings: 'flags', acpi: true });
  assert.equal(node.image, IMAGE);
  const { disk, dataDir, prefix } = node;
  let d = node.daemon;
  const pxevirt = (args: string[]) => runCli(d, args);
  const kubectl = (args: string[], input?: string) => node.kubectl(args, input);
  const jsonpath = node.jsonpath;

  // Both guests boot at once.
  await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'testvmi' }, spec: vmiSpec() }));
  await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'testvm' }, spec: { runStrategy: 'Halted', template: { metadata: { labels: { app: 'testvm' } }, spec: vmiSpec() } } }));
  const started = await pxevirt(['start', 'testvm']);
  assert.equal(started.code, 0, started.stderr);
  assert.equal(started.stdout, 'VM testvm was scheduled to start\n');

  await kubectl(['wait', 'vmi/testvmi', '--for=jsonpath={.status.phase}=Running', '--timeout=240s']);
  const table = await kubectl(['get', 'vmi', 'testvmi']);
  assert.match(table, /^NAME\s+AGE\s+PHASE\s+IP\s+NODENAME\s+READY/);
  assert.match(table, /testvmi\s+\S+\s+Running\s+(\S+\s+)?node-e2e\s+True/);
  const uid = await jsonpath('vmi', 'testvmi', '{.metadata.uid}');
  await until('the guest\'s marker on its serial log', () => serialHas(d, uid, disk.marker));
  const phases = JSON.parse(await jsonpath('vmi', 'testvmi', '{.status.phaseTransitionTimestamps}')) as Array<{ phase: string }>;
  assert.deepEqual(phases.map((p) => p.phase), ['Pending', 'Scheduling', 'Scheduled', 'Running']);
  assert.equal((await qemusWith(uid)).length, 1, 'one QEMU for the VMI');
  const cmdline = (await readFile(`/proc/${(await qemusWith(uid))[0]}/cmdline`, 'utf8')).split('\0');
  // Under its seccomp sandbox, as pxevirt-qemu (-runas: elevateprivileges=deny would kill QEMU's own setgid; docs/decisions.md).
  assert.equal(cmdline[cmdline.indexOf('-sandbox') + 1], 'on,obsolete=deny,spawn=deny,resourcecontrol=deny', 'QEMU runs under its seccomp sandbox');
  assert.equal(cmdline[cmdline.indexOf('-runas') + 1], 'pxevirt-qemu', 'QEMU drops to its user');
  const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=testvmi']);
  assert.match(events, /Started/);

  await until('the VM Running', async () => (await jsonpath('vm', 'testvm', '{.status.printableStatus}')) === 'Running');
  assert.equal(await jsonpath('vm', 'testvm', '{.spec.runStrategy}'), 'Always');
  const vmUid1 = await jsonpath('vmi', 'testvm', '{.metadata.uid}');

  const metrics = await d.http('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(metrics.body, /pxevirt_vmi_phase\{phase="Running"\} 2/);
  assert.match(metrics.body, /pxevirt_qemu_processes 2/);
  assert.match(metrics.body, /pxevirt_vmi_running_seconds_count 2/);
  assert.equal((await d.http('GET', '/metrics', { token: '' })).status, 401);

  // kill -9 of the daemon, then a new one: both guests still Running, adopted, none started twice.
  const qemusBefore = [...(await qemusWith(uid)), ...(await qemusWith(vmUid1))].sort();
  // After its starts the daemon keeps one spare namespace ready; the kill -9 leaves it behind.
  const spareOf = async () => (await namespacesWithPrefix(prefix)).filter(isSpareNetns);
  const killedSpare = await until('the daemon\'s spare namespace', async () => ((await spareOf()).length === 1 ? await spareOf() : undefined), 30_000);
  d = await node.restart();
  // The new daemon's runtime reports both guests alive once it has adopted them.
  await until('both guests adopted', async () => /pxevirt_qemu_processes 2/.test((await d.http('GET', '/metrics')).body), 60_000);
  // Adoption deletes the spare of the daemon that was killed; the new one has started nothing yet.
  assert.deepEqual(await spareOf(), [], `the killed daemon's spare ${killedSpare.join(' ')} is deleted`);
  assert.equal(await jsonpath('vmi', 'testvmi', '{.status.phase}'), 'Running');
  assert.equal(await jsonpath('vmi', 'testvm', '{.status.phase}'), 'Running');
  assert.deepEqual([...(await qemusWith(uid)), ...(await qemusWith(vmUid1))].sort(), qemusBefore, 'the same QEMU processes, one each');
  const phasesAfter = JSON.parse(await jsonpath('vmi', 'testvmi', '{.status.phaseTransitionTimestamps}')) as unknown[];
  assert.equal(phasesAfter.length, 4, 'no new phase transitions after adoption');

  // pause / unpause (virtctl's verbs) on the adopted guest: its vCPUs stop, the VMI shows Paused
  // and the VM Paused; a second pause and a soft reboot of a paused VMI are refused with
  // virt-api's words; what is typed while paused is echoed only after unpause.
  const paused = await pxevirt(['pause', 'vmi', 'testvmi']);
  assert.equal(paused.code, 0, paused.stderr);
  assert.equal(paused.stdout, 'VMI testvmi was scheduled to pause\n');
  const pausedCondition = "{.status.conditions[?(@.type=='Paused')].reason}";
  await until('testvmi Paused', async () => (await jsonpath('vmi', 'testvmi', pausedCondition)) === 'PausedByUser');
  assert.equal(await jsonpath('vmi', 'testvmi', '{.status.phase}'), 'Running', 'a paused VMI stays Running');
  assert.match(await kubectl(['get', 'vmi', 'testvmi', '-o', 'wide']), /testvmi\s+.*Running.*False\s+\S*\s*True\s*$/m);
  const twice = await pxevirt(['pause', 'vmi', 'testvmi']);
  assert.equal(twice.code, 1);
  assert.match(twice.stderr, /Error pausing VirtualMachineInstance testvmi: Operation cannot be fulfilled on virtualmachineinstance\.kubevirt\.io "testvmi": VMI is already paused/);
  const rebootPaused = await pxevirt(['soft-reboot', 'testvmi']);
  assert.equal(rebootPaused.code, 1);
  assert.match(rebootPaused.stderr, /VMI is paused/);
  // The console stays connected across the pause: the UART takes a few bytes, QEMU holds the
  // rest in the socket until the guest runs again (closing it would drop them).
  const typing = createConnection(join(dataDir, 'run', 'vmi', uid, 'serial.sock'));
  t.after(() => typing.destroy());
  await new Promise<void>((resolve, reject) => typing.once('connect', resolve).once('error', reject));
  typing.on('data', () => undefined);
  typing.write('\necho PAUSE-PROBE-$((6*7))\n');
  assert.equal(await serialHas(d, uid, 'PAUSE-PROBE-42'), false, 'a paused guest runs nothing');
  const unpaused = await pxevirt(['unpause', 'vmi/testvmi']);
  assert.equal(unpaused.stdout, 'VMI testvmi was scheduled to unpause\n');
  await until('the typed line echoed after unpause', () => serialHas(d, uid, 'PAUSE-PROBE-42'));
  typing.destroy();
  await until('testvmi no longer Paused', async () => (await jsonpath('vmi', 'testvmi', pausedCondition)) === '');
  const notPaused = await pxevirt(['unpause', 'vmi', 'testvmi']);
  assert.match(notPaused.stderr, /VMI is not paused/);

  // soft-reboot (virtctl's verb): the power button, the guest powers off, QEMU resets instead
  // of exiting, and the guest boots again — its marker twice — while the VMI stays Running.
  const markers = async () => ((await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').catch(() => '')).split(disk.marker).length - 1);
  assert.equal(await markers(), 1);
  const rebooted = await pxevirt(['soft-reboot', 'testvmi']);
  assert.equal(rebooted.code, 0, rebooted.stderr);
  assert.equal(rebooted.stdout, 'VMI testvmi was scheduled to soft-reboot\n');
  await until('the guest booted a second time', async () => (await markers()) === 2, 240_000);
  assert.ok((await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8')).includes(ACPI_POWER_BUTTON_LINE), 'the guest saw the power button');
  assert.equal(await jsonpath('vmi', 'testvmi', '{.status.phase}'), 'Running');
  assert.equal(await jsonpath('vmi', 'testvmi', '{.metadata.uid}'), uid, 'the same VMI');
  await until('the guest\'s shell again', async () => ((await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8')).split('PXEVIRT-GUEST ready').length - 1) === 2, 120_000);
  // The VM's guest through `vm NAME`: printableStatus Paused, then Running again.
  assert.equal((await pxevirt(['pause', 'vm', 'testvm'])).stdout, 'VMI testvm was scheduled to pause\n');
  await until('testvm Paused', async () => (await jsonpath('vm', 'testvm', '{.status.printableStatus}')) === 'Paused');
  assert.equal((await pxevirt(['unpause', 'vm', 'testvm'])).code, 0);
  await until('testvm Running again', async () => (await jsonpath('vm', 'testvm', '{.status.printableStatus}')) === 'Running');

  // The guest powers itself off: Succeeded.
  await typeOnSerial(join(dataDir, 'run', 'vmi', uid, 'serial.sock'), '\npoweroff -f\n');
  await until('testvmi Succeeded', async () => (await jsonpath('vmi', 'testvmi', '{.status.phase}')) === 'Succeeded', 60_000);
  const normal = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=testvmi,reason=Stopped', '-o', 'jsonpath={.items[*].message}']);
  assert.equal(normal, 'The VirtualMachineInstance was shut down.');

  // Delete with grace 0: gone at once, its netns and run dir with it.
  const netns = (await podNamespaces(prefix)).length;
  await kubectl(['delete', 'vmi', 'testvmi', '--grace-period=0', '--force', '--timeout=60s']);
  assert.equal((await d.kubectl(['get', 'vmi', 'testvmi'])).code, 1);
  await until('the VMI\'s QEMU gone', async () => (await qemusWith(uid)).length === 0, 30_000);
  assert.equal(existsSync(join(dataDir, 'run', 'vmi', uid)), false, 'run dir removed');
  assert.equal((await podNamespaces(prefix)).length, netns - 1, 'pod netns removed');

  // restart: the VM's VMI is replaced by a new one that boots again.
  const restarted = await pxevirt(['restart', 'vm', 'testvm']);
  assert.equal(restarted.stdout, 'VM testvm was scheduled to restart\n');
  const vmUid2 = await until('a new VMI for the VM', async () => {
    const u = (await d.kubectl(['get', 'vmi', 'testvm', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    return u !== '' && u !== vmUid1 ? u : undefined;
  });
  await until('the restarted VM Running', async () => (await jsonpath('vmi', 'testvm', '{.status.phase}')) === 'Running');
  assert.equal((await qemusWith(vmUid1)).length, 0, 'the old guest is gone');
  assert.equal((await qemusWith(vmUid2)).length, 1);

  // runStrategy Always: a guest whose QEMU is killed ends Failed and the VM starts a new one.
  for (const pid of await qemusWith(vmUid2)) process.kill(pid, 'SIGKILL');
  const vmUid3 = await until('a VMI replacing the killed guest', async () => {
    const u = (await d.kubectl(['get', 'vmi', 'testvm', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    return u !== '' && u !== vmUid2 ? u : undefined;
  });
  const warnings = await kubectl(['get', 'events', '--field-selector', 'type=Warning', '-o', 'jsonpath={range .items[*]}{.involvedObject.uid} {.message}{"\\n"}{end}']);
  assert.match(warnings, new RegExp(`${vmUid2} The VirtualMachineInstance crashed\\.`), 'a Warning with the reason for the killed guest');
  await until('the replacement Running', async () => (await jsonpath('vmi', 'testvm', '{.status.phase}')) === 'Running');
  assert.equal((await qemusWith(vmUid3)).length, 1);

  // stop: Halted, the VMI deleted, the guest gone, nothing left of this run.
  const stopped = await pxevirt(['stop', 'testvm', '--grace-period', '0']);
  assert.equal(stopped.stdout, 'VM testvm was scheduled to stop\n');
  await until('the VM Stopped', async () => (await jsonpath('vm', 'testvm', '{.status.printableStatus}')) === 'Stopped', 60_000);
  assert.equal(await jsonpath('vm', 'testvm', '{.spec.runStrategy}'), 'Halted');
  await until('the VM\'s QEMU gone', async () => (await qemusWith(vmUid3)).length === 0, 30_000);
  assert.deepEqual(await podNamespaces(prefix), []);
  assert.deepEqual(await qemusWith(dataDir), []);
  assert.equal(await d.stop(), 0);
  assert.deepEqual(await namespacesWithPrefix(prefix), [], 'the daemon deletes its spare namespace when it stops');
});
