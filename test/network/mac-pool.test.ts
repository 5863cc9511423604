// The MAC pool end to end through `pxevirt up` and the real kubectl: a VirtualMachine created
// without macAddress gets one written into its spec that survives `kubectl apply` of the same
// manifest, stop/start and a daemon restart (the cursor persists in the data dir); two VMIs
// asking for one MAC → the second refused with the field, the MAC and the holder (applying a
// VMI twice keeps its MAC too); a narrow --mac-range is used and then reported exhausted.
// With the controllers on (the in-memory fake runtime), the VMIs the VM controller creates on
// each start carry the VM's MAC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { startInProcessDaemon } from '../helpers/in-process-daemon.ts';

const skip = kubectlMissing();
const BIN = join(resolve(fileURLToPath(import.meta.url), '../../..'), 'bin/pxevirt');

const vmYaml = (name: string, running: boolean) => `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: ${name}
spec:
  running: ${running}
  template:
    spec:
      domain:
        devices:
          interfaces:
          - name: default
            masquerade: {}
        resources:
          requests:
            memory: 64Mi
      networks:
      - name: default
        pod: {}
`;

const vmiJson = (name: string, mac?: string) =>
  JSON.stringify({
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      domain: { devices: { interfaces: [{ name: 'default', masquerade: {}, ...(mac ? { macAddress: mac } : {}) }] }, resources: { requests: { memory: '64Mi' } } },
      networks: [{ name: 'default', pod: {} }],
    },
  });

type Kubectl = DaemonProcess['kubectl'];

async function ok(kubectl: Kubectl, args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const vmMac = async (kubectl: Kubectl, name: string) => (await ok(kubectl, ['get', 'vm', name, '-o', 'jsonpath={.spec.template.spec.domain.devices.interfaces[0].macAddress}'])).trim();
const vmiMac = async (kubectl: Kubectl, name: string) => (await ok(kubectl, ['get', 'vmi', name, '-o', 'jsonpath={.spec.domain.devices.interfaces[0].macAddress}'])).trim();
const POOL_MAC = /^02:[0-9a-f]{2}(:[0-9a-f]{2}){4}$/;

test('a VM without macAddress gets a pool MAC that apply, stop/start and a daemon restart keep', { skip }, async (t) => {
  const dataDir = tempDataDir(t);
  let d = await startDaemonProcess(t, dataDir);
  await ok(d.kubectl, ['apply', '-f', '-'], vmYaml('vm-a', false));
  const mac = await vmMac(d.kubectl, 'vm-a');
  assert.match(mac, POOL_MAC);
  assert.notEqual(mac, '02:00:00:00:00:00', 'the masquerade bridge MAC is never handed out');

  const again = await ok(d.kubectl, ['apply', '-f', '-'], vmYaml('vm-a', false));
  assert.match(again, /virtualmachine\.kubevirt\.io\/vm-a (unchanged|configured)/);
  assert.equal(await vmMac(d.kubectl, 'vm-a'), mac, 'a second apply of the same manifest keeps the MAC');

  await ok(d.kubectl, ['patch', 'vm', 'vm-a', '--type', 'merge', '-p', '{"spec":{"running":true}}']);
  assert.equal(await vmMac(d.kubectl, 'vm-a'), mac, 'start keeps the MAC');
  await ok(d.kubectl, ['patch', 'vm', 'vm-a', '--type', 'merge', '-p', '{"spec":{"running":false}}']);
  assert.equal(await vmMac(d.kubectl, 'vm-a'), mac, 'stop keeps the MAC');

  // While the daemon runs the file holds a reservation at or after every MAC handed out
  // (written once per block of MACs); a clean stop writes the exact cursor.
  const cursorFile = join(dataDir, 'mac-pool.json');
  const asNumber = (m: string) => parseInt(m.replaceAll(':', ''), 16);
  const reserved = (JSON.parse(readFileSync(cursorFile, 'utf8')) as { cursor: string }).cursor;
  assert.ok(asNumber(reserved) >= asNumber(mac), `the reservation ${reserved} covers ${mac}`);

  await d.stop();
  assert.deepEqual(JSON.parse(readFileSync(cursorFile, 'utf8')), { cursor: mac }, 'a clean stop writes the last MAC handed out');
  d = await startDaemonProcess(t, dataDir);
  assert.equal(await vmMac(d.kubectl, 'vm-a'), mac, 'the MAC is in the stored spec');
  await ok(d.kubectl, ['apply', '-f', '-'], vmYaml('vm-b', false));
  const next = await vmMac(d.kubectl, 'vm-b');
  const plusOne = (m: string) => (parseInt(m.replaceAll(':', ''), 16) + 1).toString(16).padStart(12, '0').match(/../g)!.join(':');
  assert.equal(next, plusOne(mac), 'after a restart the pool continues after the persisted cursor');

  // Deleting vm-b frees its MAC, but the next VM does not get it back at once.
  await ok(d.kubectl, ['delete', 'vm', 'vm-b']);
  await ok(d.kubectl, ['apply', '-f', '-'], vmYaml('vm-c', false));
  const third = await vmMac(d.kubectl, 'vm-c');
  assert.notEqual(third, next, 'a just-freed MAC is not reused at once');
  assert.equal(third, plusOne(next));
});

test('two VMIs asking for the same MAC: the second is refused with the field, the MAC and the holder', { skip }, async (t) => {
  const d = await startDaemonProcess(t);
  await ok(d.kubectl, ['create', '-f', '-'], vmiJson('vmi-a', '02:00:00:00:10:01'));
  assert.equal(await vmiMac(d.kubectl, 'vmi-a'), '02:00:00:00:10:01', 'a requested MAC is kept as written');
  const refused = await d.kubectl(['create', '-f', '-'], vmiJson('vmi-b', '02-00-00-00-10-01'));
  assert.notEqual(refused.code, 0);
  // kubectl prints an Invalid Status by its causes: `field: message`.
  assert.match(
    refused.stderr,
    /The VirtualMachineInstance "vmi-b" is invalid: spec\.domain\.devices\.interfaces\[0\]\.macAddress: failed to allocate requested mac address 02-00-00-00-10-01: already used by VirtualMachineInstance default\/vmi-a \(interface default\)/,
  );
  const r = await d.http('POST', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances', { body: vmiJson('vmi-b', '02:00:00:00:10:01'), contentType: 'application/json' });
  assert.equal(r.status, 422);
  assert.equal(
    r.json().message,
    'admission webhook "mutatevirtualmachineinstances.kubemacpool.io" denied the request: spec.domain.devices.interfaces[0].macAddress: failed to allocate requested mac address 02:00:00:00:10:01: already used by VirtualMachineInstance default/vmi-a (interface default)',
  );
  const details = r.json().details as { causes: Array<{ field: string; reason: string }> };
  assert.deepEqual(details.causes.map((c) => [c.reason, c.field]), [['FieldValueDuplicate', 'spec.domain.devices.interfaces[0].macAddress']]);
  assert.equal((await d.kubectl(['get', 'vmi', 'vmi-b'])).code, 1, 'nothing was stored');

  // A VM may not take it either; once vmi-a is gone the MAC is free.
  const vmWithMac = vmYaml('vm-x', false).replace('masquerade: {}', 'masquerade: {}\n            macAddress: "02:00:00:00:10:01"');
  assert.match((await d.kubectl(['create', '-f', '-'], vmWithMac)).stderr, /The VirtualMachine "vm-x" is invalid: spec\.template\.spec\.domain\.devices\.interfaces\[0\]\.macAddress: failed to allocate requested mac address 02:00:00:00:10:01/);
  await ok(d.kubectl, ['delete', 'vmi', 'vmi-a']);
  await ok(d.kubectl, ['create', '-f', '-'], vmiJson('vmi-b', '02:00:00:00:10:01'));

  // A VMI's spec is immutable, yet applying its manifest (without a MAC) again is no change.
  await ok(d.kubectl, ['apply', '-f', '-'], vmiJson('vmi-c'));
  const mac = await vmiMac(d.kubectl, 'vmi-c');
  assert.match(mac, POOL_MAC);
  await ok(d.kubectl, ['apply', '-f', '-'], vmiJson('vmi-c'));
  assert.equal(await vmiMac(d.kubectl, 'vmi-c'), mac);
});

test('--mac-range narrows the pool and an exhausted pool refuses with the range', { skip }, async (t) => {
  const d = await startDaemonProcess(t, undefined, { args: ['--mac-range', '0A:00:00:00:00:01-0a:00:00:00:00:02'] });
  await ok(d.kubectl, ['create', '-f', '-'], vmiJson('one'));
  await ok(d.kubectl, ['create', '-f', '-'], vmiJson('two'));
  assert.deepEqual([await vmiMac(d.kubectl, 'one'), await vmiMac(d.kubectl, 'two')].sort(), ['0a:00:00:00:00:01', '0a:00:00:00:00:02']);
  const full = await d.kubectl(['create', '-f', '-'], vmiJson('three'));
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /spec\.domain\.devices\.interfaces\[0\]\.macAddress: failed to allocate a mac address: the MAC pool 0a:00:00:00:00:01-0a:00:00:00:00:02 is exhausted: expected a free MAC, found all 2 usable MACs in use/);
});

test('pxevirt up refuses a malformed --mac-range naming the flag, the expected and the found value', async (t) => {
  const dataDir = tempDataDir(t);
  const r = await new Promise<{ code: number | null; stderr: string }>((done) => {
    execFile(BIN, ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--no-controllers', '--mac-range', '02:00:00:00:00:20-02:00:00:00:00:10'], { timeout: 60_000 }, (err, _out, stderr) =>
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
    );
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--mac-range: expected the first MAC not above the last, found "02:00:00:00:00:20-02:00:00:00:00:10"/);
});

test('with the controllers on, each VMI the VM controller starts carries the VM\'s MAC', { skip }, async (t) => {
  const { daemon, runtime, kubectl, dataDir } = await startInProcessDaemon(t, { nodeName: 'node-mac' });
  const until = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 600; i++) {
      const v = await probe();
      if (v !== undefined) return v;
      await sleep(100);
    }
    throw new Error(`waited 60 s for ${what}`);
  };
  const vmiState = async () => {
    const r = await kubectl(['get', 'vmi', 'vm-run', '-o', 'json']);
    if (r.code !== 0) return undefined;
    const o = JSON.parse(r.stdout) as { metadata: { uid: string }; spec: { domain: { devices: { interfaces: Array<{ macAddress?: string }> } } }; status?: { phase?: string } };
    return { uid: o.metadata.uid, mac: o.spec.domain.devices.interfaces[0]?.macAddress, phase: o.status?.phase };
  };

  await ok(kubectl, ['apply', '-f', '-'], vmYaml('vm-run', true));
  const mac = await vmMac(kubectl, 'vm-run');
  assert.match(mac, POOL_MAC);
  const first = await until('the first VMI to run', async () => {
    const s = await vmiState();
    return s?.phase === 'Running' ? s : undefined;
  });
  assert.equal(first.mac, mac, 'the VMI created from the template carries the VM\'s MAC');

  await ok(kubectl, ['patch', 'vm', 'vm-run', '--type', 'merge', '-p', '{"spec":{"running":false}}']);
  await until('the VMI to be gone', async () => ((await vmiState()) === undefined ? true : undefined));
  await ok(kubectl, ['patch', 'vm', 'vm-run', '--type', 'merge', '-p', '{"spec":{"running":true}}']);
  const second = await until('a new VMI to run', async () => {
    const s = await vmiState();
    return s?.phase === 'Running' && s.uid !== first.uid ? s : undefined;
  });
  assert.equal(second.mac, mac, 'the VMI of the second start has the same MAC');
  assert.equal(await vmMac(kubectl, 'vm-run'), mac);
  assert.ok(existsSync(join(dataDir, 'mac-pool.json')));
});
