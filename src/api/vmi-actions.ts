// PUT pause, unpause and softreboot on VirtualMachineInstances (subresources.kubevirt.io), with
// virt-api's checks and words: the stored VMI is checked first (phase, the Paused condition),
// then the node is asked, and what it refuses (its state ran ahead of the stored status) is a
// 409 with the node's reason. 200 with an empty body when done, as virt-api answers.
import { decodeObject } from './body.ts';
import { ApiError, Reason } from './errors.ts';
import { GuestRefusedError, type GuestAccess, type GuestActionName } from './guest-access.ts';
import type { ApiRequest, ApiResponse } from './http-types.ts';
import type { StoredObject } from '../store/types.ts';

export const VMI_ACTIONS = ['pause', 'unpause', 'softreboot'] as const;
export type VmiActionName = (typeof VMI_ACTIONS)[number];

const RUNTIME_ACTION: Record<VmiActionName, GuestActionName> = { pause: 'pause', unpause: 'unpause', softreboot: 'softReboot' };

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});

/** virt-api's NewConflict on a VMI: `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "NAME": WHY`. */
export function vmiConflict(name: string, why: string): ApiError {
  return new ApiError(409, Reason.Conflict, `Operation cannot be fulfilled on virtualmachineinstance.kubevirt.io "${name}": ${why}`, { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' });
}

const hasCondition = (vmi: StoredObject, type: string, status?: string): boolean =>
  (Array.isArray(obj(vmi.status).conditions) ? (obj(vmi.status).conditions as Obj[]) : []).some((c) => c.type === type && (status === undefined || c.status === status));

/** The refusal virt-api gives for this action on this stored VMI, if any. */
export function checkVmiAction(vmi: StoredObject, action: VmiActionName): string | undefined {
  const running = obj(vmi.status).phase === 'Running';
  const acpi = obj(obj(obj(obj(vmi.spec).domain).features).acpi);
  switch (action) {
    case 'pause':
      if (!running) return 'VM is not running';
      if (obj(vmi.spec).livenessProbe !== undefined && obj(obj(vmi.spec).livenessProbe).guestAgentPing === undefined) return 'Pausing VMIs with a non-GuestAgentPing LivenessProbe is not supported';
      if (hasCondition(vmi, 'Paused')) return 'VMI is already paused';
      return undefined;
    case 'unpause':
      if (!running) return 'VMI is not running';
      if (!hasCondition(vmi, 'Paused')) return 'VMI is not paused';
      return undefined;
    case 'softreboot':
      if (!running) return 'VM is not running';
      if (hasCondition(vmi, 'Paused', 'True')) return 'VMI is paused';
      if (acpi.enabled === false) return 'VMI neither have the agent connected nor the ACPI feature enabled';
      return undefined;
  }
}

/** Carries out PUT …/virtualmachineinstances/NAME/{pause,unpause,softreboot}. */
export function vmiAction(req: ApiRequest, vmi: StoredObject, action: VmiActionName, guests: GuestAccess | undefined): ApiResponse {
  const name = vmi.metadata.name;
  const refused = checkVmiAction(vmi, action);
  if (refused !== undefined) {
    // A non-GuestAgentPing probe is a Forbidden in virt-api, the rest are Conflicts.
    if (refused.startsWith('Pausing VMIs')) throw new ApiError(403, Reason.Forbidden, `virtualmachineinstance.kubevirt.io "${name}" is forbidden: ${refused}`, { name, group: 'kubevirt.io', kind: 'virtualmachineinstance' });
    throw vmiConflict(name, refused);
  }
  const body = req.body && req.body.length > 0 ? decodeObject(req.body, req.headers['content-type']) : {};
  if (Array.isArray(body.dryRun) && body.dryRun.includes('All')) return { status: 200, headers: {}, body: '' };
  if (!guests?.act) throw new ApiError(503, Reason.ServiceUnavailable, `${action} is not available: this server runs no guests (started without controllers)`);
  const deferred = guests.act(vmi.metadata.uid, RUNTIME_ACTION[action]).then(
    (): ApiResponse => ({ status: 200, headers: {}, body: '' }),
    (err: unknown) => {
      if (err instanceof GuestRefusedError) throw vmiConflict(name, err.message);
      throw new ApiError(500, Reason.InternalError, `${action} of VMI ${name} failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
    },
  );
  return { status: 200, headers: {}, body: { deferred } };
}
