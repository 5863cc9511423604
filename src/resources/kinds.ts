// The registry of every kind pxevirt serves, and kubectl-like lookups by name.
import type { KindInfo } from './kind.ts';
import { configMapKind, secretKind } from './config-kinds.ts';
import { controllerRevisionKind } from './controller-revision-kind.ts';
import { dataVolumeKind } from './datavolume-kind.ts';
import { INSTANCETYPE_KINDS } from './instancetype-kinds.ts';
import { pvcKind, storageClassKind } from './pvc-kind.ts';
import { eventKind, namespaceKind } from './core-kinds.ts';
import { nadKind } from './nad-kind.ts';
import { nncpKind } from './nncp-kind.ts';
import { nnceKind } from './nnce-kind.ts';
import { pxeServerKind } from './pxe-server-kind.ts';
import { vmKind } from './vm-kind.ts';
import { vmiKind } from './vmi-kind.ts';

export const KINDS: KindInfo[] = [vmiKind, vmKind, nadKind, nncpKind, nnceKind, pxeServerKind, namespaceKind, eventKind, secretKind, configMapKind, pvcKind, storageClassKind, dataVolumeKind, ...INSTANCETYPE_KINDS, controllerRevisionKind];

/** The kind served at /apis/{group}/{version}/…/{plural} (group '' for the core API). */
export function kindByResource(group: string, plural: string, kinds: readonly KindInfo[] = KINDS): KindInfo | undefined {
  return kinds.find((k) => k.group === group && k.plural === plural);
}

/** The kind for an object's apiVersion and kind (`kubevirt.io/v1alpha3` + `VirtualMachineInstance`, or `v1` + `Namespace`). */
export function kindByGvk(group: string, version: string, kind: string, kinds: readonly KindInfo[] = KINDS): KindInfo | undefined {
  return kinds.find((k) => k.group === group && k.kind === kind && k.versions.includes(version));
}

/** Splits an apiVersion into group and version (`v1` → core group). */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/**
 * Resolves what a user types (`vmi`, `VMI`, `virtualmachineinstances`, `VirtualMachineInstance`,
 * `vmi.kubevirt.io`, `virtualmachineinstances.v1.kubevirt.io`), case-insensitively like kubectl.
 */
export function kindByName(name: string, kinds: readonly KindInfo[] = KINDS): KindInfo | undefined {
  const lower = name.toLowerCase();
  const [resource = '', ...rest] = lower.split('.');
  const qualifier = rest.join('.');
  const names = (k: KindInfo): string[] => [k.plural, k.singular, k.kind.toLowerCase(), ...k.shortNames.map((s) => s.toLowerCase())];
  const groupMatches = (k: KindInfo): boolean => {
    if (qualifier === '') return true;
    if (qualifier === k.group) return true;
    // `resource.version.group`
    return k.versions.some((v) => qualifier === (k.group === '' ? v : `${v}.${k.group}`));
  };
  return kinds.find((k) => names(k).includes(resource) && groupMatches(k)) ?? kinds.find((k) => names(k).includes(lower));
}
