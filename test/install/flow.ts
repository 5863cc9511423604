// The install flow of issue 14 (Must-show 1), shared by its end-to-end test and `make bench`:
// `pxevirt up --node-netns` on a throwaway node namespace, the seed's NAD (cnv-bridge on br1),
// a PXEServer on it whose `once` host entry serves the installer (the test guest in installer
// mode) with a bootable raw disk at `<root>/disk.img`, and the VirtualMachine a user would
// write: a `blank` DataVolume template as its virtio disk (bootOrder 2) and a bridge NIC with a
// fixed MAC (bootOrder 1). Everything started here is ended in t.after, even on failure.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildTestDisk, type TestDisk } from '../../scripts/guest/disk-image.ts';
import { buildTestGuest, testGuestUnavailable } from '../../scripts/test-guest.ts';
import { kubectlMissing, startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { SEED_DIR } from '../helpers/kubevirt-fixtures.ts';
import { createNodeNamespace, netnsUnavailable, removeNamespaces, type TestContextLike } from '../helpers/netns.ts';
import { pxevirtBin, seedPxeServer, stageImage } from '../helpers/pxe.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { cleanSerial, qemusWith, until } from '../helpers/vmi-node.ts';
import { podFiles } from '../../src/runtime/pxeserver-pod.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

export const SEED_NAD = join(SEED_DIR, 'pxe-net-conf.yaml');
export const INSTALL_MAC = 'de:00:00:00:14:01';
export const INSTALLER_CMDLINE = 'console=ttyS0 quiet no_timer_check pxevirt.install={{files}}/disk.img pxevirt.done={{doneURL}}';

/** Why the flow cannot run here, or undefined. */
export async function installFlowUnavailable(): Promise<string | undefined> {
  return kubectlMissing() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable());
}

/** The PXEServer: the seed's (pxe-net-conf, 192.168.77.1/24) with the installer for the one `once` host only. */
export function installPxeServer(root: string): Record<string, unknown> {
  const seed = seedPxeServer(root, 'installer', INSTALLER_CMDLINE) as { spec: Record<string, unknown> };
  const { defaultImage: _none, ...spec } = seed.spec;
  return { ...seed, spec: { ...spec, hosts: [{ selector: { mac: INSTALL_MAC }, image: 'installer', once: true }] } };
}

/** The VirtualMachine: a blank DataVolume template of `size` as its disk, the NIC first. */
export function installVm(name: string, size: string): Record<string, unknown> {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name },
    spec: {
      runStrategy: 'Always',
      dataVolumeTemplates: [{ metadata: { name: `${name}-disk` }, spec: { source: { blank: {} }, storage: { resources: { requests: { storage: size } } } } }],
      template: {
        spec: {
          domain: {
            resources: { requests: { memory: '256Mi' } },
            devices: {
              autoattachPodInterface: false,
              disks: [{ name: 'disk', bootOrder: 2, disk: { bus: 'virtio' } }],
              interfaces: [{ name: 'pxe-net', bridge: {}, macAddress: INSTALL_MAC, bootOrder: 1 }],
            },
          },
          networks: [{ name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } }],
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: 'disk', dataVolume: { name: `${name}-disk` } }],
        },
      },
    },
  };
}

export interface InstallFlow {
  daemon: DaemonProcess;
  dataDir: string;
  /** The PXE root (allowed by default: under <data-dir>/pxe). */
  root: string;
  /** The disk image the installer writes (its marker shows when it boots). */
  disk: TestDisk;
  /** The blank DataVolume's requested size (the image rounded up, plus room). */
  size: string;
  /** kubectl against the daemon; throws with stderr unless it exits 0; resolves with stdout. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** The pxevirt CLI against the daemon; resolves with stdout. */
  pxevirt(args: string[]): Promise<string>;
  jsonpath(kind: string, name: string, path: string): Promise<string>;
  /** The VMI's serial log, terminal escapes removed ('' before it exists). */
  serial(uid: string): Promise<string>;
  serialSocket(uid: string): string;
  /** The PXEServer's own log (`state/pxe.log` in its run dir): JSON lines, parsed. */
  pxeLog(serverUid: string): Promise<Array<Record<string, unknown>>>;
  /** Creates the PXEServer `pxe` and waits until it is Ready; resolves with its uid. */
  startPxeServer(): Promise<string>;
}

/** Builds the guest and disk, stages them, starts the daemon on a node namespace and creates the NAD. */
export async function startInstallFlow(t: TestContextLike, options: { name: string }): Promise<InstallFlow> {
  const [installer, disk] = await Promise.all([buildTestGuest({ name: `${options.name}-installer` }), buildTestDisk({ name: `${options.name}-disk` })]);
  const dataDir = tempDataDir(t);
  const root = join(dataDir, 'pxe', 'install-root');
  await stageImage(root, 'installer', installer);
  await copyFile(disk.path, join(root, 'disk.img'));
  const size = `${Math.ceil((await stat(disk.path)).size / MiB) + 8}Mi`;

  const node = await createNodeNamespace(t);
  const prefix = `pxi${randomBytes(2).toString('hex')}-`;
  const daemon = await startDaemonProcess(t, dataDir, {
    controllers: true,
    args: ['--node-name', `node-${options.name}`, '--netns-prefix', prefix, '--pxe-netns-prefix', prefix, '--node-netns', node.name],
    startTimeoutMs: 60_000,
    kubectlTimeoutMs: 120_000,
  });
  t.after(async () => {
    await daemon.kill9();
    for (const pid of await qemusWith(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await removeNamespaces(prefix);
  });
  const kubectl = async (args: string[], input?: string) => {
    const r = await daemon.kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const jsonpath = async (kind: string, name: string, path: string) => (await daemon.kubectl(['get', kind, name, '-o', `jsonpath=${path}`])).stdout;
  await kubectl(['apply', '-f', SEED_NAD]);
  return {
    daemon,
    dataDir,
    root,
    disk,
    size,
    kubectl,
    jsonpath,
    pxevirt: async (args) => (await run(process.execPath, [pxevirtBin, ...args], { env: { ...process.env, KUBECONFIG: daemon.kubeconfig }, timeout: 120_000 })).stdout,
    serial: async (uid) => cleanSerial(await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').catch(() => '')),
    serialSocket: (uid) => join(dataDir, 'run', 'vmi', uid, 'serial.sock'),
    pxeLog: async (serverUid) =>
      (await readFile(podFiles(join(dataDir, 'run', 'pxeserver', serverUid)).log, 'utf8').catch(() => ''))
        .split('\n')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    startPxeServer: async () => {
      await kubectl(['create', '-f', '-'], JSON.stringify(installPxeServer(root)));
      await until('PXEServer pxe Ready', async () => (await jsonpath('pxeserver', 'pxe', '{.status.conditions[?(@.type=="Ready")].status}')) === 'True', 180_000);
      return jsonpath('pxeserver', 'pxe', '{.metadata.uid}');
    },
  };
}
