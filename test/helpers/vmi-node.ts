// What end-to-end VMI tests and benchmarks share: a "node" = `pxevirt up` with its
// controllers, configured through a config file or the same settings as flags (registry
// mirror → a local registry holding the test disk as a containerDisk, node name, a netns
// prefix unique to the run), plus the
// probes they poll with. Everything the node started — daemon, QEMUs, pod namespaces — is
// ended in t.after, even when the test fails.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { buildContainerDiskLayout, buildTestDisk, type TestDisk } from '../../scripts/guest/disk-image.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess, type Run } from '../api/daemon-process.ts';
import { namespacesWithPrefix, netnsUnavailable, type TestContextLike } from './netns.ts';
import { qemuUnavailable } from './qemu.ts';
import { registryUnavailable, startRegistry, type TestRegistry } from './registry.ts';

const run = promisify(execFile);

/** Why a VMI end-to-end test cannot run here (a skip reason), or undefined. */
export async function vmiNodeUnavailable(): Promise<string | undefined> {
  return kubectlMissing() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable()) ?? registryUnavailable();
}

/** Strips terminal escapes and CRs from serial output. */
export const cleanSerial = (s: string): string => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/** Polls `probe` every 500 ms until it returns a value (not undefined/false); throws naming `what` after the deadline. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 240_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(500);
  }
}

/** Pids of live QEMU processes whose command line mentions `text` (a uid, a run dir, a data dir). */
export async function qemusWith(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv[0]?.includes('qemu-system') && argv.some((a) => a.includes(text))) pids.push(Number(entry));
  }
  return pids;
}

/** Types `text` on a guest's serial console socket. */
export async function typeOnSerial(socketPath: string, text: string): Promise<void> {
  const socket = createConnection(socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.on('data', () => undefined);
  await new Promise<void>((resolve, reject) => socket.write(text, (err) => (err ? reject(err) : resolve())));
  await sleep(500);
  socket.destroy();
}

export interface VmiNode {
  /** The image the test disk is pushed as (through the docker.io mirror). */
  image: string;
  disk: TestDisk;
  registry: TestRegistry;
  dataDir: string;
  /** The pods' netns prefix, unique to this node. */
  prefix: string;
  nodeName: string;
  /** The `pxevirt up --config` file (also written when the settings go as flags). */
  configPath: string;
  /** The running daemon (replaced by restart()). */
  daemon: DaemonProcess;
  /** kill -9 of the daemon, then (after `between`, if given) a new one with the same settings on the same data dir. */
  restart(between?: () => Promise<void>): Promise<DaemonProcess>;
  /** kubectl against the daemon; throws with its stderr unless it exits 0; resolves with stdout. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** `kubectl get KIND NAME -o jsonpath=PATH` ('' when it fails). */
  jsonpath(kind: string, name: string, path: string): Promise<string>;
  /** Creates a VMI from a spec; resolves with its uid. */
  createVmi(name: string, spec: Record<string, unknown>): Promise<string>;
  /** The VMI's serial log, terminal escapes removed ('' before it exists). */
  serial(uid: string): Promise<string>;
  /** The VMI's serial console socket. */
  serialSocket(uid: string): string;
}

/** A VMI spec booting `image` from a virtio disk, no network, grace 0; `disks`/`volumes` are added after the root disk. */
export function diskVmiSpec(image: string, options: { memory?: string; volumes?: unknown[]; disks?: unknown[] } = {}): Record<string, unknown> {
  return {
    domain: {
      resources: { requests: { memory: options.memory ?? '128Mi' } },
      devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }, ...(options.disks ?? [])] },
    },
    terminationGracePeriodSeconds: 0,
    volumes: [{ name: 'root', containerDisk: { image } }, ...(options.volumes ?? [])],
  };
}

/**
 * Builds the test disk `name`, pushes it to a new local registry as `pxevirt/<name>:latest`,
 * and starts the daemon with controllers, configured by a config file or flags (see the file comment).
 */
export async function startVmiNode(t: TestContextLike, options: { name: string; nodeName?: string; settings?: 'config' | 'flags'; extraArgs?: string[]; sshServer?: boolean; nodeNetns?: boolean; acpi?: boolean }): Promise<VmiNode> {
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-vmi-node-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const disk = await buildTestDisk({ name: options.name, ...(options.sshServer ? { sshServer: true } : {}), ...(options.acpi ? { acpi: true } : {}) });
  const registry = await startRegistry(t);
  const image = `pxevirt/${options.name}:latest`;
  await registry.push(await buildContainerDiskLayout({ name: options.name, disk: disk.path, outDir: join(work, 'oci') }), image);

  const prefix = `pxn${randomBytes(2).toString('hex')}-`;
  const nodeName = options.nodeName ?? `node-${options.name}`;
  const dataDir = tempDataDir(t);
  const configPath = join(work, 'config.yaml');
  // nodeNetns: the pod network's bridge lives in a namespace of this node (its prefix: removed after).
  const nodeNetns = options.nodeNetns ? [`nodeNetns: ${prefix}node`] : [];
  writeFileSync(configPath, [`nodeName: ${nodeName}`, `netnsPrefix: ${prefix}`, ...nodeNetns, 'registryMirrors:', `  docker.io: ${registry.url}`, ''].join('\n'));
  const args = [
    ...(options.settings === 'flags' ? ['--registry-mirror', `docker.io=${registry.url}`, '--node-name', nodeName, '--netns-prefix', prefix, ...(options.nodeNetns ? ['--node-netns', `${prefix}node`] : [])] : ['--config', configPath]),
    ...(options.extraArgs ?? []),
  ];
  const daemon = await startDaemonProcess(t, dataDir, { controllers: true, args });
  // Whatever happens, no guest and no pod of this node outlives the test.
  t.after(async () => {
    await node.daemon.kill9();
    for (const pid of await qemusWith(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const ns of await namespacesWithPrefix(prefix)) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  });
  const ok = (args: string[], r: Run) => {
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const node: VmiNode = {
    image,
    disk,
    registry,
    dataDir,
    prefix,
    nodeName,
    configPath,
    daemon,
    restart: async (between) => {
      await node.daemon.kill9();
      await between?.();
      node.daemon = await startDaemonProcess(t, dataDir, { controllers: true, args });
      return node.daemon;
    },
    kubectl: async (argv, input) => ok(argv, await node.daemon.kubectl(argv, input)),
    jsonpath: async (kind, name, path) => (await node.daemon.kubectl(['get', kind, name, '-o', `jsonpath=${path}`])).stdout,
    createVmi: async (name, spec) => {
      const out = await node.kubectl(['create', '-f', '-', '-o', 'jsonpath={.metadata.uid}'], JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name }, spec }));
      return out.trim();
    },
    serial: async (uid) => cleanSerial(await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').catch(() => '')),
    serialSocket: (uid) => join(dataDir, 'run', 'vmi', uid, 'serial.sock'),
  };
  return node;
}
