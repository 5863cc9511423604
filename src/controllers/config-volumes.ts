// configMap and secret volumes, resolved when the guest starts (as the kubelet mounts them into
// virt-launcher's pod): each key of the object becomes a file's bytes — a ConfigMap's data as
// UTF-8 and its binaryData decoded, a Secret's data decoded — handed to the runtime beside the
// VMI, so the runtime never reads the store and nothing is logged. A missing object that is not
// `optional` makes the VMI wait (the kubelet's FailedMount), naming the volume and the object.
import { planVolumes, type ConfigVolumeKind, type Vmi } from '../resources/device-plan.ts';
import type { ConfigVolumeFiles } from '../runtime/types.ts';

/** What a ConfigMap or Secret holds, as stored (`data`, and a ConfigMap's `binaryData`). */
export interface ConfigObject {
  data?: unknown;
  binaryData?: unknown;
}

/** Reads a ConfigMap or a Secret of a namespace from the store; undefined when there is none. */
export type ConfigLookup = (kind: ConfigVolumeKind, namespace: string, name: string) => ConfigObject | undefined;

export type ConfigVolumesResult = { files: Map<string, ConfigVolumeFiles>; waiting?: undefined } | { waiting: string; files?: undefined };

const entries = (o: unknown): Array<[string, string]> =>
  o !== null && typeof o === 'object' ? Object.entries(o as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string') : [];

/** The files of one object: ConfigMap data (UTF-8) then binaryData, Secret data; base64 values decoded. */
export function configFiles(kind: ConfigVolumeKind, object: ConfigObject): ConfigVolumeFiles {
  const b64 = (v: string) => Buffer.from(v, 'base64');
  if (kind === 'Secret') return entries(object.data).map(([key, v]) => ({ key, data: b64(v) }));
  return [...entries(object.data).map(([key, v]) => ({ key, data: Buffer.from(v, 'utf8') })), ...entries(object.binaryData).map(([key, v]) => ({ key, data: b64(v) }))];
}

/** The files of every configMap/secret volume of `vmi`, or why it must wait; pure given `lookup`. */
export function resolveConfigVolumes(vmi: Vmi, lookup: ConfigLookup): ConfigVolumesResult {
  const namespace = vmi.metadata.namespace ?? 'default';
  const files = new Map<string, ConfigVolumeFiles>();
  for (const v of planVolumes(vmi).volumes) {
    if (v.type !== 'config') continue;
    const object = lookup(v.kind, namespace, v.objectName);
    if (object === undefined && !v.optional) {
      return { waiting: `MountVolume.SetUp failed for volume "${v.name}": ${v.kind} ${namespace}/${v.objectName} not found (set optional: true to start without it)` };
    }
    files.set(v.name, object === undefined ? [] : configFiles(v.kind, object));
  }
  return { files };
}
