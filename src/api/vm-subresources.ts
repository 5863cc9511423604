// PUT start / stop / restart on VirtualMachines (group subresources.kubevirt.io, v1 and
// v1alpha3), written to the VM the way KubeVirt's virt-api does: Halted ⇄ Always through
// spec.runStrategy (or spec.running), Manual and RerunOnFailure through
// status.stateChangeRequests, restart as a Stop of the current VMI followed by a Start.
import type { LegacyResource } from './aggregated-discovery.ts';
import { decodeObject } from './body.ts';
import { ApiError, Reason, badRequest } from './errors.ts';
import type { ApiRequest, ApiResponse } from './http-types.ts';
import type { ObjectStore, StoredObject } from '../store/types.ts';
import { NotFoundError } from '../store/errors.ts';

export const SUBRESOURCES_GROUP = 'subresources.kubevirt.io';
export const SUBRESOURCES_VERSIONS = ['v1', 'v1alpha3'];
export const VM_ACTIONS = ['start', 'stop', 'restart'] as const;
export type VmAction = (typeof VM_ACTIONS)[number];

const VM = { group: 'kubevirt.io', resource: 'virtualmachines' };
const VMI = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };

/** The APIResourceList entries for the group's discovery document. */
export function subresourceResources(): LegacyResource[] {
  return VM_ACTIONS.map((a) => ({ name: `virtualmachines/${a}`, singularName: '', namespaced: true, kind: '', verbs: ['update'] }));
}

type Request = { action: 'Start' | 'Stop'; uid?: string };
const conflict = (message: string, name: string): ApiError => new ApiError(409, Reason.Conflict, message, { name, group: 'kubevirt.io', kind: 'virtualmachines' });

function strategyOf(vm: StoredObject): string {
  const spec = (vm.spec ?? {}) as Record<string, unknown>;
  if (typeof spec.runStrategy === 'string' && spec.runStrategy) return spec.runStrategy;
  return spec.running === true ? 'Always' : 'Halted';
}

function tryGet(store: ObjectStore, ns: string, name: string, key = VMI): StoredObject | undefined {
  try {
    return store.get(key, ns, name);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** Sets the run strategy, keeping the VM's style: `running` stays `running`. */
function setStrategy(store: ObjectStore, vm: StoredObject, strategy: 'Always' | 'Halted'): void {
  const spec = { ...((vm.spec ?? {}) as Record<string, unknown>) };
  if (typeof spec.runStrategy === 'string') spec.runStrategy = strategy;
  else spec.running = strategy === 'Always';
  store.update(VM, { ...vm, spec }, { preserveStatus: true, expectedResourceVersion: vm.metadata.resourceVersion });
}

function addRequests(store: ObjectStore, vm: StoredObject, requests: Request[]): void {
  const status = { ...((vm.status ?? {}) as Record<string, unknown>) };
  status.stateChangeRequests = requests;
  store.update(VM, { ...vm, status }, { subresource: 'status', expectedResourceVersion: vm.metadata.resourceVersion });
}

/** KubeVirt passes a stop's or restart's grace period on by setting it on the VMI. */
function setVmiGrace(store: ObjectStore, vmi: StoredObject | undefined, grace: number | undefined): void {
  if (!vmi || grace === undefined) return;
  const spec = { ...((vmi.spec ?? {}) as Record<string, unknown>), terminationGracePeriodSeconds: grace };
  store.update(VMI, { ...vmi, spec }, { preserveStatus: true });
}

function graceFrom(req: ApiRequest, field: 'gracePeriod' | 'gracePeriodSeconds'): { grace?: number; dryRun: boolean } {
  if (!req.body || req.body.length === 0) return { dryRun: false };
  const body = decodeObject(req.body, req.headers['content-type']);
  const g = body[field];
  if (g !== undefined && g !== null && (typeof g !== 'number' || !Number.isInteger(g) || g < 0)) throw badRequest(`${field} must be a non-negative integer, found ${JSON.stringify(g)}`);
  const dryRun = Array.isArray(body.dryRun) && body.dryRun.includes('All');
  return { ...(typeof g === 'number' ? { grace: g } : {}), dryRun };
}

const isFinal = (vmi: StoredObject | undefined): boolean => {
  const phase = (vmi?.status as { phase?: unknown } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
};

/** Handles PUT …/virtualmachines/{name}/{start|stop|restart}; 202 when the request is recorded. */
export function vmSubresource(store: ObjectStore, req: ApiRequest, namespace: string, name: string, action: string): ApiResponse {
  if (!(VM_ACTIONS as readonly string[]).includes(action)) throw new ApiError(404, Reason.NotFound, 'the server could not find the requested resource', {});
  if (req.method !== 'PUT') throw new ApiError(405, Reason.MethodNotAllowed, `the server does not allow this method on the requested resource: ${req.method} ${req.path}`);
  const vm = tryGet(store, namespace, name, VM);
  if (!vm) throw new ApiError(404, Reason.NotFound, `virtualmachines.kubevirt.io "${name}" not found`, { name, group: 'kubevirt.io', kind: 'virtualmachines' });
  const strategy = strategyOf(vm);
  const vmi = tryGet(store, namespace, name);
  const pending = (vm.status as { stateChangeRequests?: unknown[] } | undefined)?.stateChangeRequests ?? [];
  const running = vmi !== undefined && !isFinal(vmi) && !vmi.metadata.deletionTimestamp;
  const accepted: ApiResponse = { status: 202, headers: {}, body: '' };
  if (pending.length > 0) throw conflict('unable to complete request: stop/start already underway', name);

  if (action === 'start') {
    const { dryRun } = graceFrom(req, 'gracePeriod');
    switch (strategy) {
      case 'Halted':
        if (!dryRun) setStrategy(store, vm, 'Always');
        return accepted;
      case 'Manual':
      case 'RerunOnFailure':
        if (running) throw conflict('VM is already running', name);
        if (!dryRun) addRequests(store, vm, vmi ? [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }] : [{ action: 'Start' }]);
        return accepted;
      default:
        throw conflict(`${strategy} does not support manual start requests`, name);
    }
  }

  if (action === 'stop') {
    const { grace, dryRun } = graceFrom(req, 'gracePeriod');
    if (dryRun) return accepted;
    switch (strategy) {
      case 'Halted':
        if (!vmi) throw conflict('VM is not running', name);
        // A VMI still there under Halted is being stopped: only the grace period can change.
        setVmiGrace(store, vmi, grace);
        return accepted;
      case 'Manual':
        if (!running || !vmi) throw conflict('VM is not running', name);
        setVmiGrace(store, vmi, grace);
        addRequests(store, vm, [{ action: 'Stop', uid: vmi.metadata.uid }]);
        return accepted;
      default:
        setVmiGrace(store, vmi, grace);
        setStrategy(store, vm, 'Halted');
        return accepted;
    }
  }

  // restart
  const { grace, dryRun } = graceFrom(req, 'gracePeriodSeconds');
  if (strategy === 'Halted') throw conflict('Halted does not support manual restart requests', name);
  if (!vmi || vmi.metadata.deletionTimestamp) throw conflict('VM is not running', name);
  if (dryRun) return accepted;
  setVmiGrace(store, vmi, grace);
  addRequests(store, vm, [{ action: 'Stop', uid: vmi.metadata.uid }, { action: 'Start' }]);
  return accepted;
}
