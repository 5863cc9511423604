// `pxevirt create|apply|get|describe|delete|wait` against a real `pxevirt up`, compared
// with the real kubectl's output for the same requests, and the seed procedure's steps 1, 3, 4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubectlMissing, startDaemonProcess } from '../api/daemon-process.ts';
import { pxevirt, shell, watchUntil, withoutAges } from './cli-process.ts';

const SEED = '/work/shared/seed-scenario';
const FIXTURES = resolve(fileURLToPath(import.meta.url), '../../api/fixtures');
const skip = kubectlMissing();

test('pxevirt verbs read like kubectl against pxevirt up', { skip }, async (t) => {
  // Debug logs: each request is logged once answered (the wait test waits for its GET).
  const d = await startDaemonProcess(t, undefined, { args: ['--log-level', 'debug'] });
  const tmp = mkdtempSync(join(tmpdir(), 'pxevirt-cli-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));

  await t.test('seed step 1: the NAD is created with kubectl\'s line', async () => {
    const r = await pxevirt(d, ['create', '-f', join(SEED, 'pxe-net-conf.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'networkattachmentdefinition.k8s.cni.cncf.io/pxe-net-conf created\n');
  });

  await t.test('seed step 3: the VMI is created unmodified', async () => {
    const r = await pxevirt(d, ['create', '-f', join(SEED, 'vmi-pxe-boot.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'virtualmachineinstance.kubevirt.io/vmi-pxe-boot created\n');
    assert.match(r.stderr, /Warning: kubevirt.io\/v1alpha3 is now deprecated/);
  });

  await t.test('seed step 4: get -o yaml | grep -i phase prints the phase line', async () => {
    const r = await shell(d, 'pxevirt get vmi vmi-pxe-boot -o yaml | grep -i phase');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+phase: \w+$/m);
    const yaml = await pxevirt(d, ['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml']);
    assert.match(yaml.stdout, /^kind: VirtualMachineInstance$/m);
    assert.match(yaml.stdout, /^ +macAddress: de:00:00:00:00:de$/m);
  });

  await t.test('get, -o yaml/json/name/wide/jsonpath, -A, -l and describe print what kubectl prints', async () => {
    const same = async (args: string[], normalize = (s: string) => s) => {
      const mine = await pxevirt(d, args);
      const theirs = await d.kubectl(args);
      assert.equal(mine.code, theirs.code, `exit code of ${args.join(' ')}: ${mine.stderr}`);
      assert.equal(normalize(mine.stdout), normalize(theirs.stdout), `stdout of ${args.join(' ')}`);
      assert.equal(normalize(mine.stderr.replace(/^Warning: .*\n/gm, '')), normalize(theirs.stderr.replace(/^Warning: .*\n/gm, '')), `stderr of ${args.join(' ')}`);
    };
    await same(['get', 'vmi'], withoutAges);
    await same(['get', 'vmi', 'vmi-pxe-boot', '-o', 'wide'], withoutAges);
    await same(['get', 'virtualmachineinstances.kubevirt.io', '-A'], withoutAges);
    await same(['get', 'vmi,net-attach-def'], withoutAges);
    await same(['get', 'ns'], withoutAges);
    await same(['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml']);
    await same(['get', 'vmi', '-o', 'yaml']);
    await same(['get', 'net-attach-def', 'pxe-net-conf', '-o', 'json']);
    await same(['get', 'vmi,net-attach-def', '-o', 'name']);
    await same(['get', 'vmi', '-l', 'special=vmi-pxe-boot', '-o', 'name']);
    await same(['get', 'vmi', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.networks[?(@.name=="pxe-net")].multus.networkName}{"\\n"}{end}']);
    await same(['get', 'vmi', '-l', 'special=nothing']);
    await same(['get', 'nncp', '-A']);
    await same(['describe', 'vmi', 'vmi-pxe-boot'], withoutAges);
    await same(['describe', 'net-attach-def', 'pxe-net-conf'], withoutAges);
    await same(['describe', 'ns', 'default'], withoutAges);
  });

  await t.test('Secrets: kubectl creates one from literals; get and describe print what kubectl prints and no value; only -o yaml shows it', async () => {
    const made = await d.kubectl(['create', 'secret', 'generic', 'ci-user', '--from-literal=userdata=#cloud-config hunter2', '--from-literal=other=x']);
    assert.equal(made.code, 0, made.stderr);
    const secretValue = /hunter2|I2Nsb3VkLWNvbmZpZyBodW50ZXIy/;
    for (const args of [['get', 'secret', 'ci-user'], ['get', 'secrets'], ['describe', 'secret', 'ci-user']]) {
      const mine = await pxevirt(d, args);
      const theirs = await d.kubectl(args);
      // kubectl's Secret describer walks a Go map: its Data lines come in any order.
      const normalize = (out: string) => (args[0] === 'describe' ? withoutAges(out).split('\n').sort().join('\n') : withoutAges(out));
      assert.equal(normalize(mine.stdout), normalize(theirs.stdout), `stdout of ${args.join(' ')}`);
      assert.doesNotMatch(`${mine.stdout}${theirs.stdout}`, secretValue, `${args.join(' ')} shows no value`);
    }
    assert.match((await d.kubectl(['get', 'secret', 'ci-user', '-o', 'yaml'])).stdout, /userdata: I2Nsb3VkLWNvbmZpZyBodW50ZXIy/);
    assert.doesNotMatch(d.log(), secretValue, 'the daemon log holds no value');
    const cm = await d.kubectl(['create', 'configmap', 'cm1', '--from-literal=a=1']);
    assert.equal(cm.code, 0, cm.stderr);
    assert.equal(withoutAges((await pxevirt(d, ['get', 'cm', 'cm1'])).stdout), withoutAges((await d.kubectl(['get', 'cm', 'cm1'])).stdout));
  });

  await t.test('errors read like kubectl\'s and exit 1', async () => {
    const same = async (args: string[]) => {
      const mine = await pxevirt(d, args);
      const theirs = await d.kubectl(args);
      assert.equal(mine.code, 1);
      assert.equal(theirs.code, 1);
      assert.equal(mine.stderr.replace(/^Warning: .*\n/gm, ''), theirs.stderr.replace(/^Warning: .*\n/gm, ''), `stderr of ${args.join(' ')}`);
    };
    await same(['get', 'vmi', 'nope']);
    await same(['get', 'pods']);
    await same(['create', '-f', join(SEED, 'vmi-pxe-boot.yaml')]);
    await same(['delete', 'vmi', 'nope']);
    const bad = join(tmp, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: bad}\nspec:\n  domain:\n    devices:\n      interfaces: [{name: x, bridge: {}, bootOrder: 0, macAddress: zz}]\n    resources: {}\n');
    await same(['create', '-f', bad]);
  });

  await t.test('create, then delete, print the lines kubectl prints for every kind', async () => {
    for (const file of ['vmi.yaml', 'vm.yaml', 'nad.yaml', 'nncp.yaml']) {
      const path = join(FIXTURES, file);
      const mine = await pxevirt(d, ['create', '-f', path]);
      assert.equal(mine.code, 0, mine.stderr);
      const mineDelete = await pxevirt(d, ['delete', '-f', path]);
      assert.equal(mineDelete.code, 0, mineDelete.stderr);
      const theirs = await d.kubectl(['create', '-f', path]);
      const theirsDelete = await d.kubectl(['delete', '-f', path]);
      assert.equal(mine.stdout, theirs.stdout, file);
      assert.equal(mineDelete.stdout, theirsDelete.stdout, file);
      assert.match(mineDelete.stdout, / deleted\n$/);
    }
  });

  await t.test('apply creates, then is unchanged, then configures a change kubectl agrees with', async () => {
    const path = join(tmp, 'nad.yaml');
    const text = readFileSync(join(FIXTURES, 'nad.yaml'), 'utf8');
    writeFileSync(path, text);
    assert.match((await pxevirt(d, ['apply', '-f', path])).stdout, /^networkattachmentdefinition\.k8s\.cni\.cncf\.io\/\S+ created\n$/);
    assert.match((await pxevirt(d, ['apply', '-f', path])).stdout, / unchanged\n$/);
    assert.match((await d.kubectl(['apply', '-f', path])).stdout, / unchanged\n$/, 'kubectl reads pxevirt\'s last-applied annotation');
    const labelled = text.replace(/^metadata:\n/m, 'metadata:\n  labels:\n    tier: lab\n');
    assert.notEqual(labelled, text);
    writeFileSync(path, labelled);
    assert.match((await pxevirt(d, ['apply', '-f', path])).stdout, / configured\n$/);
    assert.match((await d.kubectl(['apply', '-f', path])).stdout, / unchanged\n$/);
    writeFileSync(path, text);
    assert.match((await pxevirt(d, ['apply', '-f', path])).stdout, / configured\n$/);
    const labels = await pxevirt(d, ['get', 'net-attach-def', '-o', 'jsonpath={.items[*].metadata.labels}']);
    assert.doesNotMatch(labels.stdout, /tier/, 'the removed label is gone');
    assert.equal((await pxevirt(d, ['delete', '-f', path])).code, 0);
  });

  await t.test('wait --for=jsonpath sees a status change; a timeout says what it waited on', async () => {
    const gets = () => d.log().split('\n').filter((l) => l.includes('"method":"GET"') && l.includes('"path":"/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/vmi-pxe-boot"')).length;
    const before = gets();
    const waiting = pxevirt(d, ['wait', 'vmi/vmi-pxe-boot', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=30s']);
    // Once its GET is answered, wait watches from that resourceVersion: the patch is a change it sees.
    for (let i = 0; gets() === before; i++) {
      if (i > 600) throw new Error(`pxevirt wait never read the VMI; daemon log:\n${d.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const patched = await d.kubectl(['patch', 'vmi', 'vmi-pxe-boot', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Succeeded"}}']);
    assert.equal(patched.code, 0, patched.stderr);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'virtualmachineinstance.kubevirt.io/vmi-pxe-boot condition met\n');
    const late = await pxevirt(d, ['wait', 'vmi', 'vmi-pxe-boot', '--for=condition=Ready', '--timeout=1s']);
    assert.equal(late.code, 1);
    assert.equal(late.stderr, 'error: timed out waiting for the condition on virtualmachineinstances/vmi-pxe-boot\n');
  });

  await t.test('get -w prints a row when the object changes', async () => {
    const out = await watchUntil(d, ['get', 'vmi', 'vmi-pxe-boot'], () => d.kubectl(['label', 'vmi', 'vmi-pxe-boot', 'seen=yes']), (o) => o.trim().split('\n').length >= 3);
    const lines = out.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+AGE\s+PHASE/);
    assert.match(lines[2] ?? '', /^vmi-pxe-boot\s/);
  });

  await t.test('delete TYPE NAME and wait --for=delete', async () => {
    const r = await pxevirt(d, ['delete', 'net-attach-def', 'pxe-net-conf']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'networkattachmentdefinition.k8s.cni.cncf.io "pxe-net-conf" deleted\n');
    const gone = await pxevirt(d, ['wait', 'net-attach-def/pxe-net-conf', '--for=delete', '--timeout=5s']);
    assert.equal(gone.code, 0, gone.stderr);
  });
});

test('without a kubeconfig the CLI says to run pxevirt up', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'pxevirt-cli-home-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const r = await pxevirt(undefined, ['get', 'vmi'], { env: { KUBECONFIG: join(home, 'missing'), HOME: home } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: no kubeconfig: run `pxevirt up` or set KUBECONFIG/);
});
