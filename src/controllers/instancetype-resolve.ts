// Finding what a VM's instancetype and preference matchers point at, and pinning it: the first
// time the VM controller sees a matcher without a revisionName it stores a ControllerRevision with
// a copy of the object and writes the name into the matcher (and status.instancetypeRef, as newer
// KubeVirt does), so a later edit of the instancetype never changes this VM.
import { AlreadyExistsError, NotFoundError } from '../store/errors.ts';
import type { NewObject, ObjectStore, ResourceKey, StoredObject } from '../store/types.ts';
import type { InstancetypeSpec, PreferenceSpec } from '../resources/instancetype-schema.ts';
import { matcherKind, matcherOf, revisionFor, revisionSpec, unexpectedKindMessage, type MatcherField } from '../resources/instancetype-matcher.ts';
import { jsonEqual, type Obj } from '../resources/object-path.ts';
import { getOrNone, updateStatus, updateWithRetry } from './object-client.ts';
import type { VmTypes } from './vm-instancetype.ts';

export const CONTROLLER_REVISION_KEY: ResourceKey = { group: 'apps', resource: 'controllerrevisions' };

const GROUP = 'instancetype.kubevirt.io';
const KEYS: Record<string, { key: ResourceKey; namespaced: boolean }> = {
  VirtualMachineInstancetype: { key: { group: GROUP, resource: 'virtualmachineinstancetypes' }, namespaced: true },
  VirtualMachineClusterInstancetype: { key: { group: GROUP, resource: 'virtualmachineclusterinstancetypes' }, namespaced: false },
  VirtualMachinePreference: { key: { group: GROUP, resource: 'virtualmachinepreferences' }, namespaced: true },
  VirtualMachineClusterPreference: { key: { group: GROUP, resource: 'virtualmachineclusterpreferences' }, namespaced: false },
};
const KINDS_OF: Record<MatcherField, string[]> = {
  instancetype: ['VirtualMachineInstancetype', 'VirtualMachineClusterInstancetype'],
  preference: ['VirtualMachinePreference', 'VirtualMachineClusterPreference'],
};

/** The instancetype or preference of a VM cannot be found; `reason` is KubeVirt's (FailedFindInstancetype, FailedFindPreference). */
export class InstancetypeLookupError extends Error {
  constructor(
    readonly field: MatcherField,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'InstancetypeLookupError';
  }
}

const reasonOf = (field: MatcherField): string => (field === 'instancetype' ? 'FailedFindInstancetype' : 'FailedFindPreference');

/** The instancetype or preference object a matcher names (ignoring revisions). */
export function findSource(store: ObjectStore, vm: StoredObject, field: MatcherField): StoredObject | undefined {
  const matcher = matcherOf(vm as unknown as Obj, field);
  if (!matcher?.name) return undefined;
  const kind = matcherKind(field, matcher);
  const target = kind ? KEYS[kind] : undefined;
  if (!kind || !target) throw new InstancetypeLookupError(field, reasonOf(field), unexpectedKindMessage(field, matcher.kind));
  const found = getOrNone(store, target.key, target.namespaced ? vm.metadata.namespace : undefined, matcher.name);
  if (!found) throw new InstancetypeLookupError(field, reasonOf(field), `${target.key.resource}.${GROUP} "${matcher.name}" not found`);
  return { ...found, kind };
}

/** The spec the VM uses: from its pinned revision when it has one, else from the object itself. */
export function findSpec(store: ObjectStore, vm: StoredObject, field: MatcherField): Obj | undefined {
  const matcher = matcherOf(vm as unknown as Obj, field);
  if (!matcher) return undefined;
  const pinned = matcher.revisionName || ((vm.status as Obj | undefined)?.[`${field}Ref`] as { controllerRevisionRef?: { name?: string } } | undefined)?.controllerRevisionRef?.name;
  if (pinned) {
    const revision = getOrNone(store, CONTROLLER_REVISION_KEY, vm.metadata.namespace, pinned);
    if (!revision) throw new InstancetypeLookupError(field, reasonOf(field), `controllerrevisions.apps "${pinned}" not found`);
    const spec = revisionSpec(revision as unknown as Obj, KINDS_OF[field]);
    if (!spec) throw new InstancetypeLookupError(field, reasonOf(field), `ControllerRevision ${pinned} holds no ${KINDS_OF[field].join(' or ')} (found ${JSON.stringify((revision as unknown as Obj).data === undefined ? undefined : ((revision as unknown as Obj).data as Obj).kind)})`);
    return spec;
  }
  return findSource(store, vm, field)?.spec as Obj | undefined;
}

/** Both specs of a VM (undefined where it has no matcher); throws InstancetypeLookupError. */
export function findSpecs(store: ObjectStore, vm: StoredObject): { instancetype?: InstancetypeSpec; preference?: PreferenceSpec } {
  const instancetype = findSpec(store, vm, 'instancetype') as InstancetypeSpec | undefined;
  const preference = findSpec(store, vm, 'preference') as PreferenceSpec | undefined;
  return { ...(instancetype ? { instancetype } : {}), ...(preference ? { preference } : {}) };
}

/** Stores the revision (an existing one of the same name must hold the same data, as in KubeVirt). */
function storeRevision(store: ObjectStore, vm: StoredObject, source: StoredObject): string {
  const revision = revisionFor(vm, source as unknown as Parameters<typeof revisionFor>[1]);
  const name = revision.metadata.name as string;
  try {
    store.create(CONTROLLER_REVISION_KEY, revision as unknown as NewObject);
  } catch (err) {
    if (!(err instanceof AlreadyExistsError)) throw err;
    const existing = getOrNone(store, CONTROLLER_REVISION_KEY, vm.metadata.namespace, name);
    if (!existing || !jsonEqual((existing as unknown as Obj).data, revision.data)) {
      throw new InstancetypeLookupError('instancetype', 'FailedCreateVirtualMachine', `found existing ControllerRevision with unexpected data: ${name}`);
    }
  }
  return name;
}

/**
 * Pins every matcher of the VM that has no revisionName yet; returns the VM as stored afterwards.
 * Throws InstancetypeLookupError when what a matcher names does not exist.
 */
export function pinRevisions(store: ObjectStore, key: ResourceKey, vm: StoredObject): StoredObject {
  const pins: Partial<Record<MatcherField, { name: string; kind: string; revision: string }>> = {};
  for (const field of ['instancetype', 'preference'] as const) {
    const matcher = matcherOf(vm as unknown as Obj, field);
    if (!matcher?.name || matcher.revisionName) continue;
    // A matcher that lost its revisionName (a `kubectl replace` of the first manifest) but still
    // names the same object keeps the revision in status, as KubeVirt's syncStatusWithMatcher does.
    const ref = (vm.status as Obj | undefined)?.[`${field}Ref`] as { name?: string; kind?: string; controllerRevisionRef?: { name?: string } } | undefined;
    const kept = ref?.controllerRevisionRef?.name;
    if (kept && ref?.name === matcher.name && ref.kind === matcherKind(field, matcher)) {
      pins[field] = { name: matcher.name, kind: ref.kind ?? '', revision: kept };
      continue;
    }
    const source = findSource(store, vm, field);
    if (source) pins[field] = { name: matcher.name, kind: source.kind ?? '', revision: storeRevision(store, vm, source) };
  }
  if (Object.keys(pins).length === 0) return vm;
  const { namespace, name } = vm.metadata;
  const updated =
    updateWithRetry(store, key, namespace, name, (o) => {
      const spec = (o.spec ?? {}) as Obj;
      let changed = false;
      for (const [field, pin] of Object.entries(pins)) {
        const m = spec[field] as Obj | undefined;
        if (m && !m.revisionName && m.name === pin.name) {
          m.revisionName = pin.revision;
          changed = true;
        }
      }
      return changed;
    }, { preserveStatus: true }) ?? vm;
  updateStatus(store, key, updated, (current) => {
    const status = { ...((current.status ?? {}) as Obj) };
    for (const [field, pin] of Object.entries(pins)) status[`${field}Ref`] = { name: pin.name, kind: pin.kind, controllerRevisionRef: { name: pin.revision } };
    return status;
  });
  return getOrNone(store, key, namespace, name) ?? updated;
}

/** Deletes the revisions a VM owned (pxevirt has no garbage collector). */
export function deleteOwnedRevisions(store: ObjectStore, namespace: string | undefined, uid: string): void {
  for (const item of store.list(CONTROLLER_REVISION_KEY, { ...(namespace ? { namespace } : {}) }).items) {
    if (!(item.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
    try {
      store.delete(CONTROLLER_REVISION_KEY, item.metadata.namespace, item.metadata.name);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
}

/**
 * For the VM controller: pins the VM's matchers and finds their specs. Undefined for a VM with
 * no matchers; a lookup failure comes back as the error the VM reports (its Event).
 */
export function resolveVmTypes(store: ObjectStore, key: ResourceKey, vm: StoredObject): { vm: StoredObject; types: VmTypes } | undefined {
  const spec = vm.spec as Obj | undefined;
  if (!spec?.instancetype && !spec?.preference) return undefined;
  try {
    const pinned = pinRevisions(store, key, vm);
    return { vm: pinned, types: findSpecs(store, pinned) };
  } catch (err) {
    if (!(err instanceof InstancetypeLookupError)) throw err;
    return { vm, types: { error: { reason: err.reason, message: err.message } } };
  }
}
