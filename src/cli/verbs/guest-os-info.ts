// virtctl's guestosinfo (VMI): GET the VMI's guestosinfo subresource and print it as indented
// JSON; a failure is worded as virtctl wraps it. pxevirt runs no guest agent, so a running VMI
// answers KubeVirt's "VMI does not have guest agent connected".
import type { Session } from './session.ts';

/** Prints the guest OS info of VMI `name`, or throws virtctl's `Error getting guestosinfo …`. */
export async function guestOsInfo(session: Session, name: string): Promise<void> {
  const path = `/apis/subresources.kubevirt.io/v1/namespaces/${encodeURIComponent(session.namespace)}/virtualmachineinstances/${encodeURIComponent(name)}/guestosinfo`;
  let info: unknown;
  try {
    info = await session.client.request({ method: 'GET', path });
  } catch (err) {
    throw new Error(`Error getting guestosinfo of VirtualMachineInstance ${name}, ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  session.io.out(`${JSON.stringify(info, null, 2)}\n`);
}
