// The API way to send a PXEServer's host back to install: an annotation per MAC,
// `reprovision.pxe.pxevirt.io/<mac with dashes>: <RFC 3339 time>`. It is level-triggered: the
// controller sends the host back when it was provisioned before that time, so the annotation
// can stay (kubectl annotate --overwrite with a newer time asks again). Pure.
import { normalizeMac } from '../lib/mac.ts';

export const REPROVISION_ANNOTATION_PREFIX = 'reprovision.pxe.pxevirt.io/';

/** The annotation key for a MAC (`reprovision.pxe.pxevirt.io/de-00-00-00-00-01`). */
export function reprovisionAnnotationKey(mac: string): string {
  const m = normalizeMac(mac);
  if (m === undefined) throw new TypeError(`expected a MAC address like de:00:00:00:00:de, found ${JSON.stringify(mac)}`);
  return `${REPROVISION_ANNOTATION_PREFIX}${m.replace(/:/g, '-')}`;
}

export interface ReprovisionRequest {
  mac: string;
  /** Hosts provisioned before this time (RFC 3339) are sent back. */
  before: string;
}

/** The well-formed reprovision requests among an object's annotations (others are ignored). */
export function reprovisionRequests(annotations: unknown): ReprovisionRequest[] {
  if (typeof annotations !== 'object' || annotations === null) return [];
  const out: ReprovisionRequest[] = [];
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    if (!key.startsWith(REPROVISION_ANNOTATION_PREFIX) || typeof value !== 'string') continue;
    const mac = normalizeMac(key.slice(REPROVISION_ANNOTATION_PREFIX.length));
    if (mac === undefined || Number.isNaN(Date.parse(value))) continue;
    out.push({ mac, before: value });
  }
  return out;
}

/** The requests that still apply to hosts of status.hosts (Provisioned before the request time). */
export function pendingReprovisions(requests: readonly ReprovisionRequest[], hosts: unknown): ReprovisionRequest[] {
  const list = Array.isArray(hosts) ? (hosts as Array<Record<string, unknown>>) : [];
  return requests.filter((r) => {
    const host = list.find((h) => h.mac === r.mac);
    return host?.state === 'Provisioned' && typeof host.provisionedAt === 'string' && Date.parse(host.provisionedAt) < Date.parse(r.before);
  });
}
