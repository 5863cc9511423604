// The bindings inside a pod: how a guest NIC reaches the pod interface CNI made.
// bridge: an in-pod bridge k6t-<podIface> joins the pod interface and a tap QEMU opens; the
// pod interface gets a random MAC first (as KubeVirt's virt-launcher does), because a bridge
// treats its ports' own MACs as local and would not forward the guest's frames to the tap.
// masquerade: QEMU's user-mode stack (slirp) in the pod: the guest gets 10.0.2.2/24 by DHCP,
// gateway 10.0.2.1; its connections leave from the pod's address; declared ports forward in.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** An `ip` command inside a pod failed. */
export class BindingError extends Error {
  constructor(
    readonly netns: string,
    readonly podInterface: string,
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`binding ${podInterface} in ${netns}: \`${command}\` failed: ${stderr.trim() || '(no output)'}`, options);
    this.name = 'BindingError';
  }
}

/** A random locally administered unicast MAC. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = ((b[0] ?? 0) & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The bridge and tap names for a pod interface (≤ 15 characters, as Linux requires). */
export const bridgeNames = (podInterface: string): { bridge: string; tap: string } => ({ bridge: `k6t-${podInterface}`.slice(0, 15), tap: `tap-${podInterface}`.slice(0, 15) });

/** The `ip` invocations that build a bridge binding (pure, for tests and logs). */
export function bridgeBindingCommands(netns: string, podInterface: string, podMac: string): string[][] {
  const { bridge, tap } = bridgeNames(podInterface);
  const n = ['-n', netns];
  return [
    [...n, 'link', 'set', 'dev', podInterface, 'down'],
    [...n, 'link', 'set', 'dev', podInterface, 'address', podMac],
    // The guest owns the addresses now (KubeVirt hands them over by DHCP); the pod keeps none.
    [...n, 'addr', 'flush', 'dev', podInterface],
    [...n, 'link', 'add', 'name', bridge, 'type', 'bridge'],
    [...n, 'tuntap', 'add', 'dev', tap, 'mode', 'tap'],
    [...n, 'link', 'set', 'dev', tap, 'master', bridge],
    [...n, 'link', 'set', 'dev', podInterface, 'master', bridge],
    [...n, 'link', 'set', 'dev', bridge, 'up'],
    [...n, 'link', 'set', 'dev', tap, 'up'],
    [...n, 'link', 'set', 'dev', podInterface, 'up'],
  ];
}

/** Builds the bridge binding for a pod interface; returns the tap QEMU is to open. */
export async function bindBridge(netns: string, podInterface: string): Promise<{ tap: string }> {
  for (const args of bridgeBindingCommands(netns, podInterface, randomMac())) {
    try {
      await run('ip', args);
    } catch (err) {
      throw new BindingError(netns, podInterface, `ip ${args.join(' ')}`, (err as { stderr?: string }).stderr ?? String(err), { cause: err });
    }
  }
  return { tap: bridgeNames(podInterface).tap };
}

/** KubeVirt's masquerade addresses. */
export const MASQUERADE = { net: '10.0.2.0/24', host: '10.0.2.1', guest: '10.0.2.2', dns: '10.0.2.3' } as const;
