// `pxevirt pxe reprovision`: send an installed host back to install on its next boot. For a
// PXEServer, through the API (the reprovision annotation, see resources/pxe-reprovision.ts);
// for `pxe serve` alone, through its status socket.
import { normalizeMac } from '../lib/mac.ts';
import { reprovisionAnnotationKey } from '../resources/pxe-reprovision.ts';
import { reprovisionRequest } from '../runtime/pxe-status-client.ts';
import type { Session } from './verbs/session.ts';

/** The MAC argument, normalised; throws naming the argument. */
export function macArgument(text: string | undefined): string {
  const mac = text === undefined ? undefined : normalizeMac(text);
  if (mac === undefined) throw new Error(`expected MAC to be a MAC address like de:00:00:00:00:de, found ${JSON.stringify(text ?? '')}`);
  return mac;
}

/** Asks a running `pxe serve` on its status socket. */
export async function reprovisionViaSocket(socket: string, mac: string, out: (t: string) => void): Promise<void> {
  const { changed } = await reprovisionRequest(socket, mac);
  out(changed ? `${mac}: sent back to install; its next boot installs again\n` : `${mac}: no install state (already installs on its next boot)\n`);
}

/** Annotates the PXEServer with a reprovision request for the MAC, stamped now. */
export async function reprovisionViaApi(session: Session, name: string, mac: string, now = new Date()): Promise<void> {
  const path = `/apis/pxe.pxevirt.io/v1alpha1/namespaces/${encodeURIComponent(session.namespace)}/pxeservers/${encodeURIComponent(name)}`;
  const body = { metadata: { annotations: { [reprovisionAnnotationKey(mac)]: now.toISOString() } } };
  await session.client.request({ method: 'PATCH', path, body, contentType: 'application/merge-patch+json' });
  session.io.out(`pxeserver.pxe.pxevirt.io/${name}: ${mac} will install again on its next boot\n`);
}
