// Console, VNC, screenshot and serial log end to end, with real QEMU (TCG) under `pxevirt up`:
// two VMIs from a containerDisk (the test guest) boot once and every check runs on them.
//  - the console answers 400 "VMI is not running" before the VMI runs;
//  - `pxevirt console` in tmux waits for the VMI, shows the guest's shell, echoes typed
//    commands, leaves on Ctrl+] and gives the terminal back (`stty -a` equal before/after);
//  - a second console session takes over (the first, API or CLI, is closed);
//  - vncsnapshot (a real VNC client) captures a non-blank image through `pxevirt vnc
//    --proxy-only`; `pxevirt vnc screenshot` writes a valid PNG that is not one colour;
//  - `pxevirt logs` and `pxevirt describe vmi` show the serial log;
//  - after kill -9 of the daemon and a restart, both VMIs are still Running, both consoles
//    answer through the API's websocket, one QEMU each;
//  - every QEMU runs as the unprivileged pxevirt-qemu user (issue 13), so the screenshot
//    above went through the one directory it may still write.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { guestReadyLine } from '../../scripts/guest/init-script.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';
import { qemusWith, until as untilDone } from '../helpers/vmi-node.ts';
import { decodePng, distinctColours, isPng } from './png.ts';

const run = promisify(execFile);
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const BIN = join(ROOT, 'bin/pxevirt');
const which = (p: string) => run('sh', ['-c', `command -v ${p}`]).then(() => undefined, () => `${p} is not installed`);
const skip =
  kubectlMissing() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable()) ?? registryUnavailable() ?? (await which('tmux')) ?? (await which('vncsnapshot'));

const IMAGE = 'pxevirt/console-disk:latest';
const clean = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

function vmi(name: string): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'root', containerDisk: { image: IMAGE } }],
    },
  };
}

/** vmi-node's poll, with this file's longer default deadline. */
const until: typeof untilDone = (what, probe, timeoutMs = 300_000) => untilDone(what, probe, timeoutMs);

/** A console (or any websocket subresource) session through the API, as a browser or virtctl opens it. */
interface ApiSession {
  ws?: WebSocket;
  status?: number;
  body?: string;
  text(): string;
  closed: Promise<{ code: number; reason: string }>;
  type(text: string): void;
}

async function apiWebsocket(d: DaemonProcess, name: string, subresource = 'console'): Promise<ApiSession> {
  const ca = await readFile(join(d.dataDir, 'ca.crt'));
  const url = `wss://127.0.0.1:${d.port}/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/${name}/${subresource}`;
  const ws = new WebSocket(url, ['plain.kubevirt.io'], { ca, headers: { authorization: `Bearer ${d.token}` } });
  let received = '';
  const closed = new Promise<{ code: number; reason: string }>((done) => ws.once('close', (code, reason) => done({ code, reason: reason.toString() })));
  ws.on('message', (data, binary) => {
    if (binary) received += (data as Buffer).toString('latin1');
  });
  return new Promise((done, fail) => {
    const session = { text: () => clean(received), closed, type: (t: string) => ws.send(Buffer.from(t), { binary: true }) };
    ws.once('open', () => done({ ...session, ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => done({ ...session, status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (err) => {
      if (ws.readyState === ws.CONNECTING) fail(err);
    });
  });
}

test('console, vnc, screenshot and logs of two running guests, before and after a kill -9 of the daemon', { skip, timeout: 1_200_000 }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-console-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const disk = await buildTestDisk({ name: 'console-disk' });
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'console-disk', disk: disk.path, outDir: join(work, 'oci') }), IMAGE);

  const prefix = `pxcon${randomBytes(2).toString('hex')}-`;
  const dataDir = tempDataDir(t);
  const daemonOptions = { controllers: true, args: ['--registry-mirror', `docker.io=${registry.url}`, '--netns-prefix', prefix] };
  let d = await startDaemonProcess(t, dataDir, daemonOptions);
  const tmuxSocket = `pxcon-${randomBytes(3).toString('hex')}`;
  const children: number[] = [];
  // Whatever happens, no guest, pod, tmux server or CLI of this run outlives the test.
  t.after(async () => {
    await run('tmux', ['-L', tmuxSocket, 'kill-server']).catch(() => undefined);
    for (const pid of children) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await d.kill9();
    for (const pid of await qemusWith(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  });
  const env = () => ({ ...process.env, KUBECONFIG: d.kubeconfig });
  const pxevirt = (args: string[]) =>
    run(BIN, args, { env: env(), timeout: 120_000, encoding: 'buffer', maxBuffer: 16 << 20 }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr.toString() }),
      (err: { code?: number; stdout?: Buffer; stderr?: Buffer }) => ({ code: err.code ?? 1, stdout: err.stdout ?? Buffer.alloc(0), stderr: (err.stderr ?? '').toString() }),
    );
  const kubectl = async (args: string[], input?: string) => {
    const r = await d.kubectl(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const phase = async (name: string) => (await d.kubectl(['get', 'vmi', name, '-o', 'jsonpath={.status.phase}'])).stdout;
  const tmux = (args: string[]) => run('tmux', ['-L', tmuxSocket, ...args]).then((r) => r.stdout);
  const pane = async () => clean(await tmux(['capture-pane', '-p', '-J', '-t', 'con', '-S', '-500']));

  await kubectl(['create', '-f', '-'], JSON.stringify(vmi('con-a')));
  await kubectl(['create', '-f', '-'], JSON.stringify(vmi('con-b')));

  // (4) Before it runs, the console answers 400 "VMI is not running". Phases only move
  // forward, so a phase read after the answer that is not Running proves the VMI was not
  // running when it was asked.
  const early = await apiWebsocket(d, 'con-b');
  const phaseAfter = await phase('con-b');
  if (phaseAfter !== 'Running') {
    assert.equal(early.status, 400, `console of a ${phaseAfter || 'new'} VMI`);
    const status = JSON.parse(early.body ?? '{}') as { kind?: string; message?: string; reason?: string };
    assert.deepEqual([status.kind, status.reason, status.message], ['Status', 'BadRequest', 'VMI is not running']);
  } else {
    early.ws?.close();
    t.diagnostic('con-b was Running already: the 400 check is covered by src/api/ws-adapter.test.ts');
  }

  // (1) `pxevirt console` in a tmux pane, started before the VMI runs: it waits, connects,
  // shows the shell, leaves on Ctrl+], and restores the terminal.
  const script = (tag: string) =>
    `stty -a > ${work}/stty-before-${tag}; KUBECONFIG=${d.kubeconfig} ${BIN} console con-a --timeout 15; echo EXIT-${tag}=$?; stty -a > ${work}/stty-after-${tag}; sleep 3600`;
  await tmux(['new-session', '-d', '-s', 'con', '-x', '160', '-y', '50', script('1')]);
  const paneTty = (await tmux(['display-message', '-p', '-t', 'con', '#{pane_tty}'])).trim();
  await until('the console banner', async () => (await pane()).includes('Successfully connected to con-a console. Press Ctrl+] or Ctrl+5 to exit console.'));
  assert.equal(await phase('con-a'), 'Running');
  const during = (await run('stty', ['-a', '-F', paneTty])).stdout;
  assert.match(during, /-icanon/, 'raw mode while connected');
  assert.match(during, /-echo\b/);
  await until('con-a\'s shell (serial log via pxevirt logs)', async () => clean((await pxevirt(['logs', 'con-a'])).stdout.toString()).includes(guestReadyLine));
  await tmux(['send-keys', '-t', 'con', 'echo typed-$((6*7))', 'Enter']);
  await until('the typed command and its output in the pane', async () => {
    const p = await pane();
    return p.includes('echo typed-$((6*7))') && /^typed-42$/m.test(p);
  }, 120_000);
  await tmux(['send-keys', '-t', 'con', 'C-]']);
  await until('the console to exit', async () => (await pane()).includes('EXIT-1=0'), 60_000);
  await until('stty after', async () => (await readFile(join(work, 'stty-after-1'), 'utf8').catch(() => '')) !== '');
  assert.equal(await readFile(join(work, 'stty-after-1'), 'utf8'), await readFile(join(work, 'stty-before-1'), 'utf8'), 'the terminal is as it was');
  assert.match(await readFile(join(work, 'stty-after-1'), 'utf8'), /\bicanon\b/);
  await tmux(['kill-session', '-t', 'con']);

  // (2) A second session takes over: API after API, then API after the CLI.
  const first = await apiWebsocket(d, 'con-b');
  assert.ok(first.ws, `first console of con-b: ${first.status} ${first.body}`);
  assert.equal(first.ws.protocol, 'plain.kubevirt.io');
  const second = await apiWebsocket(d, 'con-b');
  assert.ok(second.ws, `second console of con-b: ${second.status} ${second.body}`);
  const firstClose = await first.closed;
  assert.equal(firstClose.code, 1000);
  assert.match(firstClose.reason, /another console session for VMI con-b took over/);
  second.type('\necho second-$((2+3))\n');
  await until('the second session answering', async () => /^second-5$/m.test(second.text()), 120_000);
  second.ws.close();

  await tmux(['new-session', '-d', '-s', 'con', '-x', '160', '-y', '50', script('2')]);
  await until('the CLI console connected again', async () => (await pane()).includes('Successfully connected to con-a console'));
  const taker = await apiWebsocket(d, 'con-a');
  assert.ok(taker.ws);
  await until('the CLI told it was taken over, exiting 0', async () => {
    const p = await pane();
    return p.includes('console closed: another console session for VMI con-a took over') && p.includes('EXIT-2=0');
  }, 60_000);
  await until('stty after the takeover', async () => (await readFile(join(work, 'stty-after-2'), 'utf8').catch(() => '')) !== '');
  assert.equal(await readFile(join(work, 'stty-after-2'), 'utf8'), await readFile(join(work, 'stty-before-2'), 'utf8'));
  taker.type('\necho taker-$((3*3))\n');
  await until('the taking session answering', async () => /^taker-9$/m.test(taker.text()), 120_000);
  taker.ws.close();
  await tmux(['kill-session', '-t', 'con']);

  // A signal (the terminal closing, kill) also gives the terminal back.
  await tmux(['new-session', '-d', '-s', 'con', '-x', '160', '-y', '50', script('3')]);
  await until('the CLI console connected a third time', async () => (await pane()).includes('Successfully connected to con-a console'));
  const shPid = (await tmux(['display-message', '-p', '-t', 'con', '#{pane_pid}'])).trim();
  const cliPid = Number((await run('pgrep', ['-P', shPid])).stdout.trim().split('\n')[0]);
  assert.ok(cliPid > 0, 'the CLI under the pane\'s shell');
  process.kill(cliPid, 'SIGTERM');
  await until('the CLI to end on SIGTERM', async () => /EXIT-3=\d+/.test(await pane()), 60_000);
  await until('stty after SIGTERM', async () => (await readFile(join(work, 'stty-after-3'), 'utf8').catch(() => '')) !== '');
  assert.equal(await readFile(join(work, 'stty-after-3'), 'utf8'), await readFile(join(work, 'stty-before-3'), 'utf8'));
  await tmux(['kill-session', '-t', 'con']);

  // Logs and describe show the serial log.
  const logs = await pxevirt(['logs', 'con-a']);
  assert.equal(logs.code, 0, logs.stderr);
  assert.ok(clean(logs.stdout.toString()).includes(disk.marker), 'the boot marker in pxevirt logs');
  assert.ok(clean(logs.stdout.toString()).includes('typed-42'));
  const tail = await pxevirt(['logs', 'con-a', '--tail', '3']);
  assert.ok(tail.stdout.toString().split('\n').filter((l) => l !== '').length <= 3);
  const described = await pxevirt(['describe', 'vmi', 'con-a']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout.toString(), /Serial Console \(last \d+ lines/);
  assert.match(described.stdout.toString(), /taker-9/);

  // (3) VNC: a real client through the proxy, and a screenshot.
  const proxy = spawn(BIN, ['vnc', 'con-a', '--proxy-only'], { env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proxy.pid ?? 0);
  let proxyOut = '';
  let proxyErr = '';
  proxy.stdout.on('data', (c: Buffer) => (proxyOut += c.toString()));
  proxy.stderr.on('data', (c: Buffer) => (proxyErr += c.toString()));
  const port = await until('the proxy port', async () => {
    const m = /^\{"port":(\d+)\}$/m.exec(proxyOut);
    return m ? Number(m[1]) : undefined;
  }, 60_000).catch((err: Error) => {
    throw new Error(`${err.message}; stderr: ${proxyErr}`);
  });
  const jpeg = join(work, 'vnc.jpg');
  // vncsnapshot waits for a screen that is not all black (-ignoreblank is its default).
  await run('vncsnapshot', ['-quiet', `127.0.0.1::${port}`, jpeg], { timeout: 120_000 }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`vncsnapshot through the proxy failed: ${err.stderr || err.message}; proxy stderr: ${proxyErr}`);
  });
  const jpg = await readFile(jpeg);
  assert.equal(jpg.subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG from vncsnapshot');
  assert.ok(jpg.length > 1000, `a real image, ${jpg.length} bytes`);
  process.kill(-proxy.pid!, 'SIGTERM');

  const pngPath = join(work, 'shot.png');
  const shot = await pxevirt(['vnc', 'screenshot', 'con-a', '-f', pngPath]);
  assert.equal(shot.code, 0, shot.stderr);
  const png = await readFile(pngPath);
  assert.ok(isPng(png), 'PNG signature');
  const decoded = decodePng(png);
  assert.ok(decoded.width >= 640 && decoded.height >= 400, `screen size ${decoded.width}x${decoded.height}`);
  assert.ok(distinctColours(decoded) > 1, 'not all one colour');
  const notRunning = await pxevirt(['vnc', 'screenshot', 'nope', '-f', join(work, 'nope.png')]);
  assert.equal(notRunning.code, 1);
  assert.match(notRunning.stderr, /NotFound/);

  // (5) kill -9 of the daemon with both guests running; after a restart both still run,
  // both consoles answer through the API, and each VMI still has exactly one QEMU.
  const uids = await Promise.all(['con-a', 'con-b'].map(async (n) => (await d.kubectl(['get', 'vmi', n, '-o', 'jsonpath={.metadata.uid}'])).stdout));
  const before = (await Promise.all(uids.map((u) => qemusWith(u)))).map((p) => p.sort());
  assert.deepEqual(before.map((p) => p.length), [1, 1]);
  // QEMU dropped to pxevirt-qemu once its files were open: real, effective, saved and fs ids.
  const [qemuUid, qemuGid] = (await run('id', ['-u', 'pxevirt-qemu']).then(async (u) => [u.stdout, (await run('id', ['-g', 'pxevirt-qemu'])).stdout])).map((x) => Number(x.trim()));
  assert.ok(qemuUid !== undefined && qemuUid > 0 && qemuGid !== undefined && qemuGid > 0);
  for (const pid of before.flat()) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    assert.match(status, new RegExp(`^Uid:\\t${qemuUid}\\t${qemuUid}\\t${qemuUid}\\t${qemuUid}$`, 'm'), `QEMU ${pid} runs as pxevirt-qemu`);
    assert.match(status, new RegExp(`^Gid:\\t${qemuGid}\\t${qemuGid}\\t${qemuGid}\\t${qemuGid}$`, 'm'));
    assert.match(status, new RegExp(`^Groups:\\t${qemuGid} ?$`, 'm'), 'no supplementary groups but its own');
  }
  await d.kill9();
  d = await startDaemonProcess(t, dataDir, daemonOptions);
  await until('both guests adopted', async () => /pxevirt_qemu_processes 2/.test((await d.http('GET', '/metrics')).body), 120_000);
  assert.equal(await phase('con-a'), 'Running');
  assert.equal(await phase('con-b'), 'Running');
  for (const name of ['con-a', 'con-b']) {
    const s = await apiWebsocket(d, name);
    assert.ok(s.ws, `console of ${name} after the restart: ${s.status} ${s.body}`);
    s.type(`\necho alive-${name}-$((40+2))\n`);
    await until(`${name}'s console answering after the restart`, async () => new RegExp(`^alive-${name}-42$`, 'm').test(s.text()), 120_000);
    s.ws.close();
  }
  const after = (await Promise.all(uids.map((u) => qemusWith(u)))).map((p) => p.sort());
  assert.deepEqual(after, before, 'the same QEMU processes, one per VMI');

  // Deleting the VMIs leaves no QEMU behind.
  await kubectl(['delete', 'vmi', 'con-a', 'con-b', '--grace-period=0', '--force', '--timeout=120s']);
  await until('the QEMUs gone', async () => (await qemusWith(dataDir)).length === 0, 60_000);
  assert.equal(await d.stop(), 0);
});
