// Steps → iproute2 command lines, and kernel refusals → the errors that explain them (pure).
import { StepFailedError, VlanUnsupportedError } from './errors.ts';
import type { Step } from './types.ts';

/**
 * The command line for a step: `ip …` or `bridge …`. Every interface name follows `dev` or
 * `name`, so ip never reads one as a keyword (`up`, `help`, …).
 */
export function stepCommand(step: Step): string[] {
  switch (step.op) {
    case 'createBridge':
      return ['ip', 'link', 'add', 'name', step.name, 'type', 'bridge', 'stp_state', step.stp ? '1' : '0'];
    case 'setStp':
      return ['ip', 'link', 'set', 'dev', step.name, 'type', 'bridge', 'stp_state', step.stp ? '1' : '0'];
    case 'createVlan':
      return ['ip', 'link', 'add', 'link', step.base, 'name', step.name, 'type', 'vlan', 'id', String(step.id)];
    case 'deleteLink':
      return ['ip', 'link', 'del', 'dev', step.name];
    case 'setMaster':
      return ['ip', 'link', 'set', 'dev', step.name, 'master', step.master];
    case 'noMaster':
      return ['ip', 'link', 'set', 'dev', step.name, 'nomaster'];
    case 'setMtu':
      return ['ip', 'link', 'set', 'dev', step.name, 'mtu', String(step.mtu)];
    case 'setMac':
      return ['ip', 'link', 'set', 'dev', step.name, 'address', step.mac];
    case 'setUp':
      return ['ip', 'link', 'set', 'dev', step.name, 'up'];
    case 'setDown':
      return ['ip', 'link', 'set', 'dev', step.name, 'down'];
    case 'addAddress':
      return ['ip', 'addr', 'add', `${step.address.ip}/${step.address.prefix}`, 'dev', step.name];
    case 'delAddress':
      return ['ip', 'addr', 'del', `${step.address.ip}/${step.address.prefix}`, 'dev', step.name];
    case 'setVlanFiltering':
      return ['ip', 'link', 'set', 'dev', step.name, 'type', 'bridge', 'vlan_filtering', step.on ? '1' : '0'];
    case 'addPortVlan':
      return ['bridge', 'vlan', 'add', 'dev', step.name, 'vid', step.vidEnd === undefined ? String(step.vid) : `${step.vid}-${step.vidEnd}`, ...(step.pvid ? ['pvid'] : []), ...(step.untagged ? ['untagged'] : [])];
  }
}

const UNSUPPORTED = /Operation not supported|Unknown device type|not supported/i;

/** The error for a failed step: VlanUnsupportedError when the kernel refused a VLAN feature. */
export function stepError(step: Step, stderr: string, cause?: unknown): StepFailedError | VlanUnsupportedError {
  const command = stepCommand(step).join(' ');
  const message = stderr.trim();
  if (UNSUPPORTED.test(message)) {
    if (step.op === 'createVlan') return new VlanUnsupportedError('802.1Q VLAN devices', command, message);
    if ((step.op === 'setVlanFiltering' && step.on) || step.op === 'addPortVlan') return new VlanUnsupportedError('bridge VLAN filtering', command, message);
  }
  return new StepFailedError(step, command, message, cause === undefined ? undefined : { cause });
}
