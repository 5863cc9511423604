// The NNCP apply engine: parse a policy's desiredState, apply it to the host with checkpoint,
// verification, connectivity probe and rollback.
export { applyDesiredState, HostCommandError, type ApplyResult, type NetworkHost } from './apply.ts';
export { parseDesiredState } from './desired.ts';
export { ConnectivityLostError, StepFailedError, UnsupportedDesiredStateError, VerificationError, VlanUnsupportedError } from './errors.ts';
export { createIprouteHost, type IprouteHostOptions } from './host.ts';
export type { DesiredInterface, HostState, Step } from './types.ts';
