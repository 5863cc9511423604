// The environment a CNI plugin runs with (CNI spec "Parameters"), as Multus sets it.
import { InvalidAttachmentError } from './errors.ts';
import type { CniPod } from './types.ts';

export type CniCommand = 'ADD' | 'DEL';

// Values go into `K=V;…` and file names: no separators, no path tricks.
const SAFE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;

/** Refuses pod identities that could break CNI_ARGS, CNI_NETNS or cache paths. */
export function checkPod(pod: CniPod): void {
  for (const key of ['namespace', 'name', 'uid', 'netns', 'containerId'] as const) {
    const value = pod[key];
    if (!SAFE.test(value) || value.includes('..')) {
      throw new InvalidAttachmentError(`pod.${key}`, 'letters, digits, "_", "." or "-" (no "..")', JSON.stringify(value));
    }
  }
}

/** CNI_ARGS as Multus passes them; `MAC=` is added when the interface asks for a MAC (tuning and bridge read it). */
export function cniArgs(pod: CniPod, mac?: string): string {
  const args = [
    'IgnoreUnknown=true',
    `K8S_POD_NAMESPACE=${pod.namespace}`,
    `K8S_POD_NAME=${pod.name}`,
    `K8S_POD_INFRA_CONTAINER_ID=${pod.containerId}`,
    `K8S_POD_UID=${pod.uid}`,
  ];
  if (mac !== undefined) args.push(`MAC=${mac}`);
  return args.join(';');
}

/** The CNI_* variables for one invocation. `netnsPath` empty means the netns is gone (DEL only). */
export function pluginEnv(options: { command: CniCommand; containerId: string; netnsPath: string; ifname: string; args: string; pluginDirs: readonly string[] }): Record<string, string> {
  return {
    CNI_COMMAND: options.command,
    CNI_CONTAINERID: options.containerId,
    CNI_NETNS: options.netnsPath,
    CNI_IFNAME: options.ifname,
    CNI_ARGS: options.args,
    CNI_PATH: options.pluginDirs.join(':'),
  };
}
