// Runs `pxevirt up --node-netns NODE` for a test: the node network (bridges, veths the CNI
// plugins make) is the test's throwaway namespace; the daemon itself, its API and the pods'
// `ip netns add` stay in the machine's namespaces, so pod netns are visible to the test and
// to the next daemon after a restart. Started by the one launcher (test/api/daemon-process.ts);
// killed and removed in t.after.
import type { TestContext } from 'node:test';
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
