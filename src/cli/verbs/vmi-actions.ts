// virtctl's pause, unpause (vm|vmi NAME) and soft-reboot (NAME): PUT on the VMI's subresource,
// then the line virtctl prints; failures worded as virtctl wraps them.
import { ApiStatusError } from '../client/cli-errors.ts';
import type { Session } from './session.ts';

export type VmiActionVerb = 'pause' | 'unpause' | 'soft-reboot';

const SUBRESOURCE: Record<VmiActionVerb, string> = { pause: 'pause', unpause: 'unpause', 'soft-reboot': 'softreboot' };
const GERUND: Record<VmiActionVerb, string> = { pause: 'pausing', unpause: 'unpausing', 'soft-reboot': 'soft rebooting' };

/** `pause vm NAME`, `pause vmi NAME`, `pause vm/NAME`; soft-reboot takes the VMI's NAME alone. */
export function vmiTargetFrom(verb: VmiActionVerb, args: readonly string[]): { type: 'vm' | 'vmi'; name: string } {
  const words = args.flatMap((a) => (/^(vms?|vmis?|virtualmachines?|virtualmachineinstances?)\//.test(a) ? [a.slice(0, a.indexOf('/')), a.slice(a.indexOf('/') + 1)] : [a]));
  if (verb === 'soft-reboot') {
    if (words.length !== 1 || !words[0]) throw new Error(`expected one VMI name, found ${JSON.stringify(args.join(' '))}`);
    return { type: 'vmi', name: words[0] };
  }
  const type = (words[0] ?? '').toLowerCase();
  const kind = ['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(type) ? 'vm' : ['vmi', 'vmis', 'virtualmachineinstance', 'virtualmachineinstances'].includes(type) ? 'vmi' : undefined;
  if (kind === undefined || words.length !== 2 || !words[1]) throw new Error(`expected vm NAME or vmi NAME (virtualmachine or virtualmachineinstance), found ${JSON.stringify(args.join(' '))}`);
  return { type: kind, name: words[1] };
}

/** Sends the request; prints `VMI NAME was scheduled to VERB` like virtctl. */
export async function vmiAction(session: Session, verb: VmiActionVerb, target: { type: 'vm' | 'vmi'; name: string }, options: { dryRun?: boolean } = {}): Promise<void> {
  const ns = encodeURIComponent(session.namespace);
  const name = target.name;
  if (target.type === 'vm') {
    // virtctl reads the VM first: a missing VM is its own error.
    await session.client.request({ method: 'GET', path: `/apis/kubevirt.io/v1/namespaces/${ns}/virtualmachines/${encodeURIComponent(name)}` }).catch((err: unknown) => {
      throw new Error(`Error getting VirtualMachine ${name}: ${err instanceof Error ? err.message : String(err)}`);
    });
  }
  if (options.dryRun) session.io.out('Dry Run execution\n');
  const body = options.dryRun ? { dryRun: ['All'] } : {};
  const path = `/apis/subresources.kubevirt.io/v1/namespaces/${ns}/virtualmachineinstances/${encodeURIComponent(name)}/${SUBRESOURCE[verb]}`;
  try {
    await session.client.request({ method: 'PUT', path, body, contentType: 'application/json' });
  } catch (err) {
    const message = err instanceof ApiStatusError || err instanceof Error ? err.message : String(err);
    throw new Error(`Error ${GERUND[verb]} VirtualMachineInstance ${name}: ${message}`, { cause: err });
  }
  session.io.out(`VMI ${name} was scheduled to ${verb}\n`);
}
