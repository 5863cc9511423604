// How admission results are reported: KubeVirt joins cause messages with ", " and after
// ten adds "and N more validation errors" (pkg/util/webhooks.ToAdmissionResponse).
import type { Cause, CauseType } from './causes.ts';

/** Builds a cause. */
export function cause(type: CauseType, field: string, message: string): Cause {
  return { type, field, message };
}

export interface AdmissionDenial {
  /** The Status message: the first ten messages joined, then a count of the rest. */
  message: string;
  /** The causes shown in Status details (at most ten, like KubeVirt). */
  causes: Cause[];
}

/** The message and detail causes a KubeVirt webhook returns for a list of causes. */
export function admissionDenial(causes: readonly Cause[]): AdmissionDenial {
  const shown = causes.slice(0, 10);
  let message = shown.map((c) => c.message).join(', ');
  if (causes.length > 10) message += `, and ${causes.length - 10} more validation errors`;
  return { message, causes: shown };
}

/** The name of the KubeVirt webhook that would have denied the request (for `admission webhook "…" denied the request: …`). */
export function webhookName(kind: string, operation: 'CREATE' | 'UPDATE'): string | undefined {
  if (kind === 'VirtualMachineInstance') return `virtualmachineinstances-${operation === 'CREATE' ? 'create' : 'update'}-validator.kubevirt.io`;
  if (kind === 'VirtualMachine') return 'virtualmachine-validator.kubevirt.io';
  return undefined;
}
