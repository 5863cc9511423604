// Runs a CNI manager inside a test's node namespace (started with `ip netns exec NODE`), so
// the real plugins create bridges and veths there. Protocol: one JSON request per stdin
// line ({id, op, ...}), one JSON reply per stdout line ({id, ok, value} or {id, ok, error}).
// Ops: add {pod, attachments}, del {pod}, setNad {namespace, name, config}, deleteNad {namespace, name}.
import { statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { silentLogger } from '../../src/lib/logger.ts';
import { createCniManager, defaultPodNetwork, networkStatusAnnotation } from '../../src/network/cni/index.ts';
import type { CniAttachment, CniPod } from '../../src/network/cni/types.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { nodeNetns: string; cacheDir: string; dataDir: string; pluginDirs?: string[]; nads?: Record<string, string> };

// Never run plugins in the machine's own namespace: this process must be in the test's node netns.
const self = statSync('/proc/self/ns/net');
const node = statSync(`/run/netns/${config.nodeNetns}`);
if (self.ino !== node.ino || self.dev !== node.dev) {
  process.stderr.write(`cni-runner: not inside node netns ${config.nodeNetns}; refusing to run plugins\n`);
  process.exit(2);
}

const nads = new Map(Object.entries(config.nads ?? {}));
const cni = createCniManager({
  cacheDir: config.cacheDir,
  ...(config.pluginDirs ? { pluginDirs: config.pluginDirs } : {}),
  resolveNad: (namespace, name) => nads.get(`${namespace}/${name}`),
  defaultNetwork: defaultPodNetwork({ dataDir: config.dataDir }),
  log: silentLogger,
});

type Request = { id: number; op: string; pod?: CniPod; attachments?: CniAttachment[]; namespace?: string; name?: string; config?: string };

const reply = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'add': {
      const results = await cni.add(req.pod as CniPod, req.attachments ?? []);
      return { results, annotation: networkStatusAnnotation(results) };
    }
    case 'del':
      await cni.del(req.pod as CniPod);
      return null;
    case 'setNad':
      nads.set(`${req.namespace}/${req.name}`, req.config ?? '');
      return null;
    case 'deleteNad':
      nads.delete(`${req.namespace}/${req.name}`);
      return null;
    default:
      throw new Error(`unknown op ${req.op}`);
  }
}

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const req = JSON.parse(line) as Request;
  try {
    reply({ id: req.id, ok: true, value: await handle(req) });
  } catch (err) {
    const e = err as Error & Record<string, unknown>;
    reply({ id: req.id, ok: false, error: { ...e, name: e.name, message: e.message } });
  }
}
