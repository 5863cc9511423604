// The seed scenario (../shared/seed-scenario/SCENARIO.md) end to end, with the two manifests
// exactly as written, real kubectl, the pxevirt CLI, real QEMU guests and the real CNI
// plugins. The daemon runs in the machine's namespace (its API on loopback, the test's
// registry reachable) with `--node-netns`: every bridge, veth and address it makes lives in
// a throwaway node namespace this test creates; the pods are namespaces with a prefix
// unique to this run. Boots, in order:
//   A. the seed VMI with no PXE server on br1: iPXE tries net1 only, then the container disk
//      boots (issue 4: bootOrder falls through; the NIC without bootOrder never shows iPXE);
//   B. a PXEServer on the seed NAD, then the seed VMI and a second VMI (auto MAC, a declared
//      port): both PXE-boot, eth1 carries de:00:00:00:00:de, eth0 has 10.0.2.2, they ping each
//      other over br1, the masquerade guest reaches a server in the node namespace, the
//      declared port is reachable from the node; deleting them leaves the node as before;
//   C. the same seed VMI through `pxevirt create`, `pxevirt get`, `pxevirt console`.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { createNodeNamespace, netnsUnavailable, podNamespaces, removeNamespaces, type NodeNamespace } from '../helpers/netns.ts';
import { until } from '../helpers/vmi-node.ts';
import { baseUrl, browserUnavailable, ensureUiBuilt, launchBrowser, newContext, saveScreenshot, signIn } from '../web/browser.ts';
import { seedPxeServer, stageImage, tempDir } from '../helpers/pxe.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/pxevirt');
// The manifests as the spec gives them (../shared), else the repo's identical copies.
const SEED = existsSync(resolve(ROOT, '../shared/seed-scenario/vmi-pxe-boot.yaml')) ? resolve(ROOT, '../shared/seed-scenario') : join(ROOT, 'examples/seed-scenario');
const NAD_FILE = join(SEED, 'pxe-net-conf.yaml');
const VMI_FILE = join(SEED, 'vmi-pxe-boot.yaml');
const SEED_MAC = 'de:00:00:00:00:de';
const skip = kubectlMissing() ?? browserUnavailable() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable()) ?? registryUnavailable();

const clean = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Za-z0-9]/g, '').replace(/\r/g, '');

/** Interface names and netns names seen from the node (what must be the same before and after). */
async function nodeInventory(node: NodeNamespace, prefix: string): Promise<{ links: string[]; pods: string[] }> {
  const links = (JSON.parse((await node.exec('ip', ['-j', 'link', 'show'])).stdout) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
  // The daemon's spare namespace (at most one) is not a pod: it is there after the first start.
  const pods = await podNamespaces(prefix);
  return { links, pods };
}

/** An interactive `pxevirt console` child: what it printed so far, typing, leaving with Ctrl+]. */
function openConsole(t: TestContext, d: DaemonProcess, name: string) {
  const child = spawn(BIN, ['console', name, '--timeout', '5'], { env: { ...process.env, KUBECONFIG: d.kubeconfig }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  child.stderr.on('data', (b: Buffer) => (out += b.toString('latin1')));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return {
    text: () => clean(out),
    /** Types a command and waits until the output after it matches. */
    async type(command: string, expect: RegExp, timeoutMs = 60_000): Promise<string> {
      const from = out.length;
      child.stdin.write(`${command}\n`);
      return until(`${JSON.stringify(command)} on ${name}'s console to print ${expect}`, async () => {
        const after = clean(out.slice(from));
        return expect.test(after) ? after : undefined;
      }, timeoutMs);
    },
    async leave(): Promise<number | null> {
      child.stdin.write(Buffer.from([29]));
      const ac = new AbortController();
      const code = await Promise.race([exited, sleep(30_000, 'still running' as const, { signal: ac.signal }).catch(() => 'cancelled' as const)]);
      ac.abort();
      if (code === 'still running') child.kill('SIGKILL');
      return typeof code === 'number' || code === null ? code : null;
    },
  };
}

/** The `inet a.b.c.d` of one interface in `ip addr` output. */
function inetOf(ipAddr: string, iface: string): string | undefined {
  const block = ipAddr.split(/\n(?=\d+: )/).find((b) => new RegExp(`^\\d+: ${iface}[:@]`).test(b.trim()));
  return block ? /inet (\d+\.\d+\.\d+\.\d+)\//.exec(block)?.[1] : undefined;
}

const secondVmi = {
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'vmi-two' },
  spec: {
    terminationGracePeriodSeconds: 0,
    domain: {
      resources: { requests: { memory: '256Mi' } },
      devices: {
        disks: [{ name: 'containerdisk', disk: { bus: 'virtio' }, bootOrder: 2 }],
        interfaces: [
          { name: 'default', masquerade: {}, ports: [{ port: 8080 }] },
          { name: 'pxe-net', bridge: {}, bootOrder: 1 },
        ],
      },
    },
    networks: [{ name: 'default', pod: {} }, { name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } }],
    volumes: [{ name: 'containerdisk', containerDisk: { image: 'kubevirt/fedora-cloud-container-disk-demo' } }],
  },
};

test('the seed scenario: kubectl and pxevirt create the two manifests, the guest PXE-boots with its MAC on br1', { skip, timeout: 1_800_000 }, async (t) => {
  const work = await tempDir(t, 'pxevirt-seed-');
  // The container disk the seed names, served by a local registry through the mirror.
  const disk = await buildTestDisk({ name: 'seed-disk' });
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'seed-disk', disk: disk.path, outDir: join(work, 'oci') }), 'kubevirt/fedora-cloud-container-disk-demo:latest');
  // The OS the PXE server hands out.
  const guest = await buildTestGuest({ name: 'pxe-guest' });
  // Under <data-dir>/pxe: the roots a node allows by default (issue 13).
  const dataDir = tempDataDir(t);
  const pxeRoot = join(dataDir, 'pxe', 'pxe-root');
  await stageImage(pxeRoot, 'pxe-guest', guest);

  const node = await createNodeNamespace(t);
  const prefix = `pxs${randomBytes(2).toString('hex')}-`;
  const d = await startDaemonProcess(t, dataDir, {
    controllers: true,
    args: ['--registry-mirror', `docker.io=${registry.url}`, '--node-name', 'node-seed', '--netns-prefix', prefix, '--pxe-netns-prefix', prefix, '--node-netns', node.name],
  });
  t.after(async () => {
    // Whatever happened: no guest, server or pod of this run outlives the test.
    await d.kill9();
    await removeNamespaces(prefix);
  });
  const kubectl = async (args: string[], input?: string) => {
    const r = await d.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const pxevirt = async (args: string[]) => {
    const r = await run(BIN, args, { env: { ...process.env, KUBECONFIG: d.kubeconfig }, timeout: 120_000 });
    return r.stdout;
  };
  const serialLog = (uid: string) => readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(clean, () => '');
  const uidOf = async (name: string) => (await kubectl(['get', 'vmi', name, '-o', 'jsonpath={.metadata.uid}'])).trim();
  const phaseOf = async (name: string) => (await d.kubectl(['get', 'vmi', name, '-o', 'jsonpath={.status.phase}'])).stdout.trim();
  const waitGone = (name: string) => until(`vmi ${name} to be deleted`, async () => (await d.kubectl(['get', 'vmi', name])).code !== 0);

  // Step 1: the NAD, unmodified.
  assert.match(await kubectl(['create', '-f', NAD_FILE]), /^networkattachmentdefinition\.k8s\.cni\.cncf\.io\/pxe-net-conf created$/m);

  await t.test('A: with no PXE server answering, iPXE tries the bootOrder 1 NIC only and the disk boots', async () => {
    assert.match(await kubectl(['create', '-f', VMI_FILE]), /^virtualmachineinstance\.kubevirt\.io\/vmi-pxe-boot created$/m);
    const uid = await uidOf('vmi-pxe-boot');
    const log = await until('the container disk to boot after PXE gave up', async () => {
      const text = await serialLog(uid);
      return text.includes('PXEVIRT-GUEST name=seed-disk ok') ? text : undefined;
    }, 420_000);
    assert.match(log, /iPXE/, 'iPXE ran on the NIC with bootOrder 1');
    const status = JSON.parse(await kubectl(['get', 'vmi', 'vmi-pxe-boot', '-o', 'json'])) as { status: { interfaces: Array<{ name: string; mac: string }> } };
    const masqueradeMac = status.status.interfaces.find((i) => i.name === 'default')?.mac;
    assert.ok(masqueradeMac, 'the masquerade interface has a MAC in status');
    assert.ok(!log.toLowerCase().includes(masqueradeMac.toLowerCase()), `iPXE never touched the masquerade NIC ${masqueradeMac}`);
    assert.ok(log.toLowerCase().includes(SEED_MAC), 'iPXE tried the NIC with de:00:00:00:00:de');
    await kubectl(['delete', 'vmi', 'vmi-pxe-boot']);
    await waitGone('vmi-pxe-boot');
  });

  // The PXE server the procedure's prerequisites ask for, on the same bridge.
  await kubectl(['apply', '-f', '-'], JSON.stringify(seedPxeServer(pxeRoot, 'pxe-guest')));
  await until('the PXEServer to be Ready', async () => (await d.kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout.trim() === 'True');
  const before = await nodeInventory(node, prefix);

  await t.test('B: both guests PXE-boot from the PXEServer on br1, talk to each other, the node, and back', async () => {
    assert.match(await kubectl(['create', '-f', VMI_FILE]), /^virtualmachineinstance\.kubevirt\.io\/vmi-pxe-boot created$/m);
    await kubectl(['create', '-f', '-'], JSON.stringify(secondVmi));
    await until('vmi-pxe-boot Running', async () => /^\s*phase: Running$/m.test((await d.kubectl(['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml'])).stdout), 420_000);
    const seedUid = await uidOf('vmi-pxe-boot');
    const twoUid = await uidOf('vmi-two');
    for (const uid of [seedUid, twoUid]) await until(`guest ${uid} ready`, async () => (await serialLog(uid)).includes('PXEVIRT-GUEST ready'), 420_000);
    assert.ok((await serialLog(seedUid)).includes('PXEVIRT-GUEST name=pxe-guest ok'), 'the seed VMI was network-booted into the PXE image');

    // The PXE server saw the DHCP and the downloads of de:00:00:00:00:de.
    const server = await until('the PXEServer status to show de:00:00:00:00:de', async () => {
      const text = await kubectl(['get', 'pxeserver', 'pxe', '-o', 'json']);
      return text.includes(SEED_MAC) && /vmlinuz/.test(text) ? text : undefined;
    });
    assert.match(server, /initrd\.gz/);

    // Step 7–8 on the console.
    const seedConsole = openConsole(t, d, 'vmi-pxe-boot');
    await until('the console banner', async () => seedConsole.text().includes('Successfully connected to vmi-pxe-boot console'));
    const ipAddr = await seedConsole.type('ip addr', /eth1[\s\S]*link\/ether[\s\S]*\n[^\n]*# $/m);
    assert.match(ipAddr, /\d+: eth1: [^\n]*\n\s+link\/ether de:00:00:00:00:de /, 'eth1 has the requested MAC');
    assert.equal(inetOf(ipAddr, 'eth0'), '10.0.2.2', 'the masquerade NIC got 10.0.2.2');
    const seedIp = inetOf(ipAddr, 'eth1');
    assert.match(seedIp ?? '', /^192\.168\.77\.(1[0-4]\d|150)$/, 'eth1 leased from the PXEServer range');

    // The pod-side (network-status) and status MACs agree.
    const vmi = JSON.parse(await kubectl(['get', 'vmi', 'vmi-pxe-boot', '-o', 'json'])) as { metadata: { annotations?: Record<string, string> }; status: { interfaces: Array<{ name: string; mac: string; ipAddress?: string }> } };
    const networkStatus = JSON.parse(vmi.metadata.annotations?.['k8s.v1.cni.cncf.io/network-status'] ?? '[]') as Array<{ name: string; interface: string; mac: string; default?: boolean }>;
    assert.equal(networkStatus.find((n) => n.interface === 'net1')?.mac, SEED_MAC);
    assert.equal(vmi.status.interfaces.find((i) => i.name === 'pxe-net')?.mac, SEED_MAC);
    assert.equal(networkStatus.filter((n) => n.default === true).length, 1, 'exactly one default network');

    // The two guests ping each other over br1.
    const twoConsole = openConsole(t, d, 'vmi-two');
    await until('the second console banner', async () => twoConsole.text().includes('Successfully connected to vmi-two console'));
    const twoAddr = await twoConsole.type('ip addr', /eth1[\s\S]*link\/ether[\s\S]*\n[^\n]*# $/m);
    const twoIp = inetOf(twoAddr, 'eth1');
    assert.ok(twoIp && twoIp !== seedIp, `vmi-two has its own lease (${twoIp})`);
    assert.match(await twoConsole.type(`ping -c 2 -W 5 ${seedIp}`, /packets received/), / 2 packets received/);
    assert.match(await seedConsole.type(`ping -c 2 -W 5 ${twoIp}`, /packets received/), / 2 packets received/);

    // Masquerade: the guest reaches a server in the node namespace through the pod.
    const gateway = (JSON.parse((await node.exec('ip', ['-j', '-4', 'addr', 'show', 'pxvbr0'])).stdout) as Array<{ addr_info: Array<{ local: string }> }>)[0]?.addr_info[0]?.local;
    assert.ok(gateway, 'the pod network bridge has an address on the node');
    node.spawn(process.execPath, ['-e', `require('http').createServer((q, s) => s.end('hello-from-node\\n')).listen(8081, '${gateway}')`]);
    await sleep(1000);
    assert.match(await twoConsole.type(`wget -q -O - http://${gateway}:8081/`, /hello-from-node|rror/), /hello-from-node/);

    // A declared port is reachable from the node on the pod's address.
    const podIp = (JSON.parse(await kubectl(['get', 'vmi', 'vmi-two', '-o', 'json'])) as { status: { interfaces: Array<{ name: string; ipAddress?: string }> } }).status.interfaces.find((i) => i.name === 'default')?.ipAddress;
    assert.ok(podIp, 'the masquerade interface reports the pod address');
    await twoConsole.type('(while true; do echo hello-from-guest | nc -l -p 8080; done) &', /\[\d+\]|# $/);
    const fromNode = await until('the declared port to answer from the node', async () => {
      const r = await node.exec('busybox', ['nc', '-w', '3', podIp, '8080'], { timeoutMs: 10_000 }).catch(() => ({ stdout: '' }));
      return r.stdout.includes('hello-from-guest') ? r.stdout : undefined;
    }, 60_000);
    assert.match(fromNode, /hello-from-guest/);

    assert.equal(await seedConsole.leave(), 0, 'Ctrl+] leaves the console');
    await twoConsole.leave();

    // The same guest in the web UI (issue 7): its serial console in xterm.js shows the MAC,
    // the VNC canvas is not blank, and the PXEServer page has de:00:00:00:00:de's timeline.
    await ensureUiBuilt();
    const browser = await launchBrowser(t);
    const page = await signIn(await newContext(browser), d);
    await page.locator('#vmis tr[data-key="default/vmi-pxe-boot"]', { hasText: 'Running' }).waitFor({ timeout: 60_000 });
    await page.goto(`${baseUrl(d)}/ui/#/vmi/default/vmi-pxe-boot`);
    await page.locator('#serial-state', { hasText: 'connected' }).waitFor({ timeout: 60_000 });
    await page.locator('#vnc-state', { hasText: 'connected' }).waitFor({ timeout: 60_000 });
    const rows = page.locator('#serial .xterm-rows');
    await page.locator('#serial').click();
    await page.keyboard.type('ip addr\n');
    await rows.filter({ hasText: 'link/ether de:00:00:00:00:de' }).waitFor({ timeout: 120_000 });
    const colors = await until('a non-blank VNC canvas', async () => {
      const n = await page.locator('#vnc canvas').evaluate((c) => {
        const canvas = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
        const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
        const seen = new Set<number>();
        for (let i = 0; data && i < data.length && seen.size < 16; i += 4) seen.add(((data[i] ?? 0) << 16) | ((data[i + 1] ?? 0) << 8) | (data[i + 2] ?? 0));
        return canvas.width > 0 ? seen.size : 0;
      });
      return n >= 2 ? n : undefined;
    }, 60_000);
    assert.ok(colors >= 2);
    await saveScreenshot(page, 'web-vmi-seed');
    await page.goto(`${baseUrl(d)}/ui/#/pxe/default/pxe`);
    const host = page.locator(`#boots .host[data-mac="${SEED_MAC}"]`);
    await host.waitFor({ timeout: 60_000 });
    const protos = await host.locator('.stage').evaluateAll((els) => els.map((e) => e.getAttribute('data-proto')));
    assert.ok(protos.includes('dhcp') && protos.includes('http'), `DHCP and HTTP stages for ${SEED_MAC}: ${protos.join(' → ')}`);
    assert.match((await host.locator('.stage').allTextContents()).join(' '), /vmlinuz/);
    await saveScreenshot(page, 'web-pxeserver-seed');
    await browser.close();
    await kubectl(['delete', 'vmi', 'vmi-pxe-boot', 'vmi-two']);
    await waitGone('vmi-pxe-boot');
    await waitGone('vmi-two');
    assert.deepEqual(await until('the node to be as before', async () => {
      const after = await nodeInventory(node, prefix);
      return JSON.stringify(after) === JSON.stringify(before) ? after : undefined;
    }, 60_000), before);
  });

  await t.test('C: the same through pxevirt create, pxevirt get and pxevirt console', async () => {
    await pxevirt(['delete', '-f', NAD_FILE]);
    assert.match(await pxevirt(['create', '-f', NAD_FILE]), /networkattachmentdefinition\.k8s\.cni\.cncf\.io\/pxe-net-conf created/);
    assert.match(await pxevirt(['create', '-f', VMI_FILE]), /virtualmachineinstance\.kubevirt\.io\/vmi-pxe-boot created/);
    await until('pxevirt get to show phase: Running', async () => /^\s*phase: Running$/m.test(await pxevirt(['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml']).catch(() => '')));
    const uid = await uidOf('vmi-pxe-boot');
    await until('the guest ready', async () => (await serialLog(uid)).includes('PXEVIRT-GUEST ready'), 420_000);
    const console = openConsole(t, d, 'vmi-pxe-boot');
    await until('the console banner', async () => console.text().includes('Successfully connected to vmi-pxe-boot console'));
    assert.match(await console.type('ip addr', /eth1[\s\S]*link\/ether[\s\S]*\n[^\n]*# $/m), /\d+: eth1: [^\n]*\n\s+link\/ether de:00:00:00:00:de /);
    assert.equal(await console.leave(), 0);
    await pxevirt(['delete', 'vmi', 'vmi-pxe-boot']);
    await waitGone('vmi-pxe-boot');
    assert.deepEqual((await nodeInventory(node, prefix)).pods, before.pods, 'no pod of the VMI is left');
  });
});
