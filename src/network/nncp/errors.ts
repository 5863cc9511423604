// One error class per way applying a policy fails; each keeps its facts as fields.
import type { Step } from './types.ts';

/** A desiredState field the engine does not implement (nothing was changed). */
export class UnsupportedDesiredStateError extends Error {
  constructor(
    readonly field: string,
    readonly found: string,
    readonly expected: string,
  ) {
    super(`${field}: expected ${expected}, found ${found}`);
    this.name = 'UnsupportedDesiredStateError';
  }
}

/** An iproute2 command of the plan failed. */
export class StepFailedError extends Error {
  constructor(
    readonly step: Step,
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`\`${command}\` failed: ${stderr}`, options);
    this.name = 'StepFailedError';
  }
}

/** The kernel refused a VLAN setting: no bridge vlan_filtering or no 802.1Q. */
export class VlanUnsupportedError extends Error {
  constructor(
    readonly feature: 'bridge VLAN filtering' | '802.1Q VLAN devices',
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`this kernel lacks ${feature}: \`${command}\` failed with "${stderr}"`);
    this.name = 'VlanUnsupportedError';
  }
}

/** After applying, the host does not show what the policy asked for. */
export class VerificationError extends Error {
  constructor(readonly mismatches: string[]) {
    super(`the host does not show the desired state after applying: ${mismatches.join('; ')}`);
    this.name = 'VerificationError';
  }
}

/** After applying, the node lost its default route or its gateway stopped answering. */
export class ConnectivityLostError extends Error {
  constructor(
    readonly gateway: string | undefined,
    readonly detail: string,
  ) {
    super(`connectivity check failed after applying: ${detail}`);
    this.name = 'ConnectivityLostError';
  }
}
