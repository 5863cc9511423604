// Runs `pxevirt up --node-netns NODE` for a test: the node network (bridges, veths the CNI
// plugins make) is the test's throwaway namespace; the daemon itself, its API and the pods'
// `ip netns add` stay in the machine's namespaces, so pod netns are visible to the test and
// to the next daemon after a restart. Started by the one launcher (test/api/daemon-process.ts);
// killed and removed in t.after.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createNodeNamespace, removeNamespaces } from '../helpers/netns.ts';
import { startDaemonProcess } from '../api/daemon-process.ts';

export interface NodeDaemon {
  kubeconfig: string;
  /** Everything the daemon logged on stderr so far. */
  log(): string;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the daemon with the node network in `nodeNetns` and waits for its KUBECONFIG line. */
export async function startNodeDaemon(t: TestContext, nodeNetns: string, dataDir: string, args: string[] = []): Promise<NodeDaemon> {
  const d = await startDaemonProcess(t, dataDir, { controllers: true, args: ['--node-netns', nodeNetns, ...args], startTimeoutMs: 60_000, kubectlTimeoutMs: 120_000 });
  return {
    kubeconfig: d.kubeconfig,
    log: d.log,
    kubectl: d.kubectl,
    kill9: d.kill9,
    stop: async () => void (await d.stop()),
  };
}

/** A node for VM + PXEServer tests: a short data dir, a node netns with br1 (the seed NAD's bridge), the daemon with pod prefixes unique to the run, and a kubectl that must succeed. */
export async function startPxeVmNode(t: TestContext, tag: string, pollMs: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pxv-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const node = await createNodeNamespace(t, { bridge: 'br1' });
  const prefix = `${tag}${randomBytes(2).toString('hex')}-`;
  t.after(() => removeNamespaces(prefix));
  const d = await startNodeDaemon(t, node.name, dataDir, ['--pxe-netns-prefix', prefix, '--netns-prefix', `${prefix}v`, '--pxe-status-poll-ms', String(pollMs)]);
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await d.kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  return { dataDir, node, d, kubectl, imagesDir: join(dataDir, 'pxe', 'images') };
}

/** The seed's NAD manifest (pxe-net-conf), which every PXE-booting VMI here attaches to. */
export const SEED_NAD = join(process.env.PXEVIRT_SEED_DIR ?? '/work/shared/seed-scenario', 'pxe-net-conf.yaml');

/**
 * A VMI that network-boots from a bridge NIC on the seed's pxe-net NAD (fixed MAC, bootOrder 1),
 * 512Mi, grace 0; `spec` and `domain` add fields (Secure Boot firmware, architecture …), and
 * `devices` adds to its devices.
 */
export function pxeNetVmi(name: string, mac: string, extra: { spec?: Record<string, unknown>; domain?: Record<string, unknown>; devices?: Record<string, unknown> } = {}) {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name },
    spec: {
      ...extra.spec,
      terminationGracePeriodSeconds: 0,
      domain: {
        ...extra.domain,
        resources: { requests: { memory: '512Mi' } },
        devices: { ...extra.devices, interfaces: [{ name: 'pxe-net', bridge: {}, macAddress: mac, bootOrder: 1 }] },
      },
      networks: [{ name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } }],
    },
  };
}
