// Boot storm: 100 simulated clients at once against `pxevirt pxe serve`, each doing
// DHCP + TFTP of a 1 MB file + HTTP of a 30 MB file. Reports the time to the last client
// and the 50th/99th percentile per client. Runs in throwaway namespaces.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createNodeNamespace } from '../test/helpers/netns.ts';
import { repoRoot, startPxeServe } from '../test/helpers/pxe.ts';

export interface StormResult {
  clients: number;
  completed: number;
  failures: string[];
  lastMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Runs the storm; `after` registers cleanups (a test context or the bench runner's). */
export async function benchBootStorm(t: { after(fn: () => unknown): void }, clients = 100): Promise<StormResult> {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24', mtu: 1500 });
  const relay = await node.addClient({ address: '192.168.100.2/24' });
  const pxe = await startPxeServe(t, node, {
    interface: 'br0',
    address: '192.168.100.1/24',
    dhcp: { mode: 'server', range: '192.168.100.10-192.168.100.250', leaseSeconds: 600 },
    http: { port: 8080 },
  });
  await writeFile(join(pxe.root, 'one-mb'), randomBytes(1 << 20));
  await writeFile(join(pxe.root, 'thirty-mb'), randomBytes(30 << 20));
  const args = JSON.stringify({ clients, relay: '192.168.100.2', server: '192.168.100.1', httpPort: 8080, tftpFile: 'one-mb', httpFile: 'thirty-mb' });
  const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', relay.name, process.execPath, '--import', 'tsx', join(repoRoot, 'bench/storm-clients.ts'), args], {
    cwd: repoRoot,
    timeout: 600_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as StormResult;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cleanups: Array<() => unknown> = [];
  try {
    console.log(JSON.stringify(await benchBootStorm({ after: (fn) => void cleanups.push(fn) }), null, 2));
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  }
}
