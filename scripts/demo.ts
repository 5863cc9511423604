// `make demo`: the seed scenario on this machine, shown as it happens. It starts `pxevirt up`
// whose node network is a throwaway namespace (`--node-netns`: every bridge, veth and address
// lives there; the machine's own network is untouched) with its API on 127.0.0.1, a local
// registry serving `kubevirt/fedora-cloud-container-disk-demo` as the mirror of docker.io,
// br1 by an NNCP, a PXEServer serving a small Linux on br1; then it applies the two seed
// manifests unmodified, follows the VMI, saves a screenshot of the boot screen, types `ip addr`
// on the serial console, and leaves everything running until Ctrl+C, which removes it all.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { seedPxeServer, stageImage } from '../test/helpers/pxe.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { buildContainerDiskLayout, buildTestDisk } from './guest/disk-image.ts';
import { buildTestGuest } from './test-guest.ts';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), '../..');
const BIN = join(ROOT, 'bin/pxevirt');
// The seed manifests as shipped with the repo (examples/seed-scenario, identical to the spec's).
const SEED = join(ROOT, 'examples/seed-scenario');
const cleanups: Array<() => unknown> = [];
const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
const tty = process.stdout.isTTY;
const say = (text: string) => process.stdout.write(`${text}\n`);
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[0m` : text);
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string) => say(`\n${bold(`▶ ${text}`)}`);
const clean = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Za-z0-9]/g, '').replace(/\r/g, '');

async function cleanup(): Promise<void> {
  for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: unknown) => say(dim(`cleanup: ${String(err)}`)));
  cleanups.length = 0;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 600_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`waited ${Math.round(timeoutMs / 1000)} s for ${what}`);
    await sleep(1000);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the demo needs root: it creates network namespaces, bridges and taps (inside its own namespace only)');
  say(bold('pxevirt demo: the seed scenario — a VMI with MAC de:00:00:00:00:de network-boots from a PXEServer on br1'));
  say(dim(`manifests: ${SEED}`));

  step('building the guests (a Debian kernel + busybox initramfs for PXE; a bootable disk for the container disk; cached in build/)');
  const [guest, disk] = await Promise.all([buildTestGuest({ name: 'pxe-linux' }), buildTestDisk({ name: 'fedora-demo-stand-in' })]);
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-demo-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const pxeRoot = join(work, 'data', 'pxe', 'pxe-root'); // under <data-dir>/pxe, where a node allows PXE roots by default
  await stageImage(pxeRoot, 'pxe-linux', guest);

  step('a local registry on 127.0.0.1 serving kubevirt/fedora-cloud-container-disk-demo (the docker.io mirror)');
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'fedora-demo-stand-in', disk: disk.path, outDir: join(work, 'oci') }), 'kubevirt/fedora-cloud-container-disk-demo:latest');
  say(dim(`registry ${registry.url}`));

  const id = randomBytes(2).toString('hex');
  const node = `pxvdemo-${id}`;
  const prefix = `pxvd${id}-`;
  step(`node namespace ${node} (the daemon's network world; pods are namespaces ${prefix}*)`);
  await run('ip', ['netns', 'add', node]);
  await run('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
  cleanups.push(async () => {
    // Everything in our namespaces is ours: end it by pid, then remove the namespaces.
    const names = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix) || n === node);
    for (const ns of names) {
      for (const pid of (await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))).stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
    }
  });

  step('pxevirt up');
  const dataDir = join(work, 'data');
  mkdirSync(dataDir, { recursive: true });
  const daemon: ChildProcess = spawn(BIN, ['up', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--node-netns', node, '--netns-prefix', prefix, '--node-name', 'demo-node', '--registry-mirror', `docker.io=${registry.url}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let daemonLog = '';
  daemon.stderr?.on('data', (b: Buffer) => (daemonLog = (daemonLog + b.toString()).slice(-20_000)));
  cleanups.push(async () => {
    if (daemon.exitCode !== null || !daemon.pid) return;
    // Delete what the daemon runs so it tears pods down itself, then stop it.
    await run(BIN, ['delete', 'vmi', '--all'], { env: { ...process.env, KUBECONFIG: kubeconfig } }).catch(() => undefined);
    await run(BIN, ['delete', 'pxeserver', '--all'], { env: { ...process.env, KUBECONFIG: kubeconfig } }).catch(() => undefined);
    await sleep(3000);
    process.kill(-daemon.pid, 'SIGTERM');
    await Promise.race([new Promise((r) => daemon.once('exit', r)), sleep(10_000)]);
    if (daemon.exitCode === null) process.kill(-daemon.pid, 'SIGKILL');
  });
  const kubeconfig = await new Promise<string>((ok, fail) => {
    let out = '';
    daemon.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^export KUBECONFIG=(.+)$/m.exec(out);
      if (m?.[1]) ok(m[1].trim());
    });
    daemon.once('exit', (code) => fail(new Error(`pxevirt up exited with ${code}:\n${daemonLog}`)));
  });
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const pxevirt = async (args: string[], input?: string): Promise<string> =>
    new Promise((ok, fail) => {
      const p = execFile(BIN, args, { env, timeout: 120_000 }, (err, stdout, stderr) => (err ? fail(new Error(`pxevirt ${args.join(' ')}: ${stderr || err.message}`)) : ok(stdout)));
      if (input !== undefined) p.stdin?.end(input);
    });
  const shown = async (args: string[], input?: string) => {
    say(dim(`$ pxevirt ${args.join(' ')}`));
    say((await pxevirt(args, input)).trimEnd());
  };
  const server = /server: (\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1] ?? '';
  say(`API ${server} — kubectl works: KUBECONFIG=${kubeconfig} kubectl get vmi`);

  step('br1 on the node, by a NodeNetworkConfigurationPolicy');
  await shown(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'nmstate.io/v1',
    kind: 'NodeNetworkConfigurationPolicy',
    metadata: { name: 'br1-policy' },
    spec: { desiredState: { interfaces: [{ name: 'br1', type: 'linux-bridge', state: 'up', ipv4: { enabled: false }, bridge: { options: { stp: { enabled: false } }, port: [] } }] } },
  }));
  await until('the NNCP to be Available', async () => (await pxevirt(['get', 'nncp', 'br1-policy', '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status}']).catch(() => '')).trim() === 'True', 120_000);
  await shown(['get', 'nncp']);

  step('seed step 1: the NetworkAttachmentDefinition, unmodified');
  await shown(['create', '-f', join(SEED, 'pxe-net-conf.yaml')]);

  step('a PXEServer on pxe-net-conf (br1): DHCP 192.168.77.100–150, TFTP, HTTP; every host gets pxe-linux');
  await shown(['apply', '-f', '-'], JSON.stringify(seedPxeServer(pxeRoot, 'pxe-linux', 'console=ttyS0 no_timer_check')));
  await until('the PXEServer to be Ready', async () => (await pxevirt(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(() => '')).trim() === 'True', 180_000);

  step('seed step 3: the VirtualMachineInstance, unmodified (a network boot takes ~30–60 s under software emulation)');
  await shown(['create', '-f', join(SEED, 'vmi-pxe-boot.yaml')]);
  let last = '';
  await until('the VMI to be Running', async () => {
    const phase = (await pxevirt(['get', 'vmi', 'vmi-pxe-boot', '-o', 'jsonpath={.status.phase}']).catch(() => '')).trim();
    if (phase && phase !== last) say(`  phase: ${phase}`);
    last = phase;
    if (phase === 'Failed') throw new Error(`the VMI failed:\n${await pxevirt(['describe', 'vmi', 'vmi-pxe-boot']).catch(() => '')}`);
    return phase === 'Running';
  });
  say(dim('$ pxevirt get vmi vmi-pxe-boot -o yaml | grep -i phase'));
  say((await pxevirt(['get', 'vmi', 'vmi-pxe-boot', '-o', 'yaml'])).split('\n').filter((l) => /phase/i.test(l)).join('\n'));

  step('seed step 5–6: the boot screen (VNC)');
  const uid = (await pxevirt(['get', 'vmi', 'vmi-pxe-boot', '-o', 'jsonpath={.metadata.uid}'])).trim();
  const serialLog = () => readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(clean, () => '');
  // The moment worth a picture: iPXE doing DHCP on the requested MAC.
  await until('iPXE configuring de:00:00:00:00:de', async () => /Configuring \(net\d de:00:00:00:00:de/.test(await serialLog()), 300_000);
  const shot = join(ROOT, 'build', 'demo', 'boot-screen.png');
  mkdirSync(join(ROOT, 'build', 'demo'), { recursive: true });
  await pxevirt(['vnc', 'screenshot', 'vmi-pxe-boot', '-f', shot]);
  say(`screenshot of the boot screen: ${shot}`);
  say(dim('(a live view: pxevirt vnc vmi-pxe-boot — or pxevirt vnc vmi-pxe-boot --proxy-only and any VNC viewer)'));

  await until('the guest to be up', async () => (await serialLog()).includes('PXEVIRT-GUEST ready'), 600_000);
  const log = await serialLog();
  const from = log.indexOf('iPXE');
  say(bold('what the serial console showed while it booted (iPXE, DHCP on de:00:00:00:00:de, the download, the OS):'));
  say(dim(log.slice(Math.max(0, from)).split('\n').filter((l) => /iPXE|net\d|DHCP|http|tftp|ok|PXEVIRT|Linux version/i.test(l)).slice(0, 30).join('\n')));

  step('seed step 7–8: `pxevirt console vmi-pxe-boot`, then `ip addr` inside the guest');
  const console = spawn(BIN, ['console', 'vmi-pxe-boot'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  console.stdout.on('data', (b: Buffer) => (out += b.toString('latin1')));
  // The banner goes to stderr (as virtctl's does).
  console.stderr.on('data', (b: Buffer) => (out += b.toString('latin1')));
  await until('the console', async () => out.includes('Successfully connected'), 60_000);
  const mark = out.length;
  console.stdin.write('ip addr\n');
  await until('ip addr output', async () => /eth1[\s\S]*link\/ether[\s\S]*\n[^\n]*# $/m.test(clean(out.slice(mark))), 60_000);
  console.stdin.write(Buffer.from([29]));
  say(clean(out.slice(mark)).trimEnd());

  const web = server.replace(/\/$/, '');
  step('running');
  say(`  kubeconfig   ${kubeconfig}   (export KUBECONFIG=${kubeconfig}; kubectl get vmi,pxeserver,nncp,net-attach-def)`);
  say(`  web UI       ${web}/ui/   (sign in with the token in ${join(dataDir, 'token')})`);
  say(`  console      KUBECONFIG=${kubeconfig} ./bin/pxevirt console vmi-pxe-boot   (Ctrl+] leaves)`);
  say(`  VNC          KUBECONFIG=${kubeconfig} ./bin/pxevirt vnc vmi-pxe-boot [--proxy-only]`);
  if (process.stdin.isTTY) {
    say(bold('\npress Ctrl+C to stop and remove everything'));
    await new Promise<void>((r) => process.once('SIGINT', () => r()));
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
  say('cleaned up: the daemon, the guest, the PXE server, the registry and the namespaces are gone');
}
