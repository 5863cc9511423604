// Which image a PXE client boots: the first host entry whose selector matches all its
// fields, else the default image, else the menu, else nothing. Pure.
import { normalizeMac } from '../lib/mac.ts';
import type { ClientArch, HostSelector, PxeImage, PxeServerSpec, PxeVm } from '../resources/pxe-server.ts';
import { selectsVms, vmMatch, vmsWithMac } from '../resources/pxe-vms.ts';
import { formatRelayId, relayIdMatches, type RelayIds } from './relay-info.ts';

/** What the server knows about a client when it asks for its boot script. */
export interface SelectClient {
  mac: string;
  uuid?: string;
  arch?: ClientArch;
  hostname?: string;
  /** Option 82 IDs of the client's last relayed DHCP request. */
  relay?: RelayIds;
}

/** The outcome of selection, with a human-readable reason for logs and the timeline. */
export type Selection =
  | { kind: 'image'; image: PxeImage; reason: string; /** The matched host entry is `once: true`. */ once: boolean }
  | { kind: 'menu'; reason: string }
  | { kind: 'none'; reason: string };

type SelectSpec = Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu' | 'vms'>;

/** Selects the image (or menu, or nothing) for a client. */
export function selectImage(spec: SelectSpec, client: SelectClient): Selection {
  const byName = new Map(spec.images.map((i) => [i.name, i]));
  const skipped: string[] = [];
  const vms = vmsWithMac(spec.vms, client.mac);
  for (const [index, host] of spec.hosts.entries()) {
    const matched = matchSelector(host.selector, client, vms);
    if (!matched) continue;
    const image = byName.get(host.image);
    if (!image) {
      // Validation forbids this; a hand-built spec may still do it, so say so and go on.
      skipped.push(`hosts[${index}] matched but names unknown image ${host.image}`);
      continue;
    }
    return { kind: 'image', image, reason: [...skipped, `hosts[${index}] matched ${matched}`].join('; '), once: host.once === true };
  }
  const prefix = [...skipped, 'no host matched'].join('; ');
  if (spec.defaultImage !== undefined) {
    const image = byName.get(spec.defaultImage);
    if (image) return { kind: 'image', image, reason: `${prefix}; defaultImage ${image.name}`, once: false };
  }
  if (spec.menu.enabled && spec.images.length > 0) return { kind: 'menu', reason: `${prefix}; no defaultImage; menu of ${spec.images.length} image(s)` };
  if (spec.images.length === 0) return { kind: 'none', reason: `${prefix}; no images defined` };
  return { kind: 'none', reason: `${prefix}; no defaultImage and the menu is disabled` };
}

/**
 * Describes the fields that matched (`mac de:…, arch efi-x64`), or undefined when any field
 * differs. `vms` are the inventory's VMs that carry the client's MAC (for vmSelector and vmName).
 */
export function matchSelector(selector: HostSelector, client: SelectClient, vms: readonly PxeVm[] = []): string | undefined {
  const parts: string[] = [];
  if (selectsVms(selector)) {
    const found = vms.map((vm) => vmMatch(selector, vm)).find((m) => m !== undefined);
    if (found === undefined) return undefined;
    parts.push(found);
  }
  for (const key of ['circuitId', 'remoteId'] as const) {
    const want = selector[key];
    if (want === undefined) continue;
    const got = client.relay?.[key];
    if (!relayIdMatches(want, got)) return undefined;
    parts.push(`${key} ${formatRelayId(got as Uint8Array)}`);
  }
  if (selector.mac !== undefined) {
    const want = normalizeMac(selector.mac);
    const found = normalizeMac(client.mac);
    if (want === undefined || want !== found) return undefined;
    parts.push(`mac ${want}`);
  }
  if (selector.uuid !== undefined) {
    if (client.uuid === undefined || selector.uuid.toLowerCase() !== client.uuid.toLowerCase()) return undefined;
    parts.push(`uuid ${selector.uuid.toLowerCase()}`);
  }
  if (selector.arch !== undefined) {
    if (selector.arch !== client.arch) return undefined;
    parts.push(`arch ${selector.arch}`);
  }
  if (selector.hostname !== undefined) {
    if (selector.hostname !== client.hostname) return undefined;
    parts.push(`hostname ${selector.hostname}`);
  }
  // An empty selector (validation forbids it) matches nothing rather than everything.
  return parts.length === 0 ? undefined : parts.join(', ');
}
