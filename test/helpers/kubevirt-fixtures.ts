// Objects for resource tests: a small valid VMI and VM, and the seed scenario's manifests
// (parsed from ../shared/seed-scenario at test time, never copied).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const SEED_DIR = process.env.PXEVIRT_SEED_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/seed-scenario');

type Obj = Record<string, unknown>;

/** A seed manifest, e.g. `vmi-pxe-boot.yaml`. */
export function readSeed(file: string): Obj {
  return parse(readFileSync(resolve(SEED_DIR, file), 'utf8')) as Obj;
}

/** A valid VMI: one disk, a pod network with masquerade, a multus network with bridge, 64Mi. */
export function validVmi(): Obj {
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'test-vmi', namespace: 'default' },
    spec: {
      domain: {
        devices: {
          disks: [{ name: 'root', disk: { bus: 'virtio' }, bootOrder: 2 }],
          interfaces: [
            { name: 'default', masquerade: {} },
            { name: 'pxe', bridge: {}, macAddress: 'de:00:00:00:00:01', bootOrder: 1 },
          ],
        },
        resources: { requests: { memory: '64Mi' } },
      },
      networks: [
        { name: 'default', pod: {} },
        { name: 'pxe', multus: { networkName: 'pxe-net-conf' } },
      ],
      volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }],
    },
  };
}

/** A valid VM wrapping validVmi()'s spec. */
export function validVm(): Obj {
  const vmi = validVmi();
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'test-vm', namespace: 'default' },
    spec: { runStrategy: 'Always', template: { metadata: { labels: { app: 'test' } }, spec: vmi.spec } },
  };
}

/** Sets `value` at a dotted path with [i] indexes (`spec.domain.devices.disks[0].bootOrder`); undefined deletes. */
export function setPath(object: Obj, path: string, value: unknown): Obj {
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let node: Record<string, unknown> = object;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = /^\d+$/.test(key) ? [] : {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return object;
}
