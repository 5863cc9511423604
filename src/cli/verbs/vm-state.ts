// virtctl's start / stop / restart: PUT on the VM's subresource, then the line virtctl prints.
import type { Session } from './session.ts';

export type VmStateAction = 'start' | 'stop' | 'restart';

export interface VmStateOptions {
  /** stop: StopOptions.gracePeriod; restart: RestartOptions.gracePeriodSeconds. */
  gracePeriod?: number;
  dryRun?: boolean;
}

/** `pxevirt start|stop|restart [vm] NAME`: accepts `NAME`, `vm NAME` or `vm/NAME`. */
export function vmNameFrom(args: readonly string[]): string {
  const words = args.flatMap((a) => (a.startsWith('vm/') || a.startsWith('vms/') ? ['vm', a.slice(a.indexOf('/') + 1)] : [a]));
  const rest = ['vm', 'vms', 'virtualmachine', 'virtualmachines'].includes(words[0] ?? '') ? words.slice(1) : words;
  if (rest.length !== 1 || !rest[0]) throw new Error(`expected one VM name (NAME or vm NAME), found ${JSON.stringify(args.join(' '))}`);
  return rest[0];
}

/** Sends the request; prints `VM NAME was scheduled to ACTION` like virtctl. */
export async function vmState(session: Session, action: VmStateAction, name: string, options: VmStateOptions = {}): Promise<void> {
  const body: Record<string, unknown> = {};
  if (options.gracePeriod !== undefined) body[action === 'restart' ? 'gracePeriodSeconds' : 'gracePeriod'] = options.gracePeriod;
  if (options.dryRun) body.dryRun = ['All'];
  const path = `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(session.namespace)}/virtualmachines/${encodeURIComponent(name)}/${action}`;
  await session.client.request({ method: 'PUT', path, body, contentType: 'application/json' });
  session.io.out(`VM ${name} was scheduled to ${action}\n`);
}
