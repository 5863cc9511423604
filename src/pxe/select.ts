// Which image a PXE client boots: the first host entry whose selector matches all its
// fields, else the default image, else the menu, else nothing. Pure.
import { normalizeMac } from '../lib/mac.ts';
import type { ClientArch, HostSelector, PxeImage, PxeServerSpec } from '../resources/pxe-server.ts';

/** What the server knows about a client when it asks for its boot script. */
export interface SelectClient {
  mac: string;
  uuid?: string;
  arch?: ClientArch;
  hostname?: string;
}

/** The outcome of selection, with a human-readable reason for logs and the timeline. */
export type Selection =
  | { kind: 'image'; image: PxeImage; reason: string; /** The matched host entry is `once: true`. */ once: boolean }
  | { kind: 'menu'; reason: string }
  | { kind: 'none'; reason: string };

type SelectSpec = Pick<PxeServerSpec, 'images' | 'hosts' | 'defaultImage' | 'menu'>;

/** Selects the image (or menu, or nothing) for a client. */
export function selectImage(spec: SelectSpec, client: SelectClient): Selection {
  const byName = new Map(spec.images.map((i) => [i.name, i]));
  const skipped: string[] = [];
  for (const [index, host] of spec.hosts.entries()) {
    const matched = matchSelector(host.selector, client);
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

/** Describes the fields that matched (`mac de:…, arch efi-x64`), or undefined when any field differs. */
export function matchSelector(selector: HostSelector, client: SelectClient): string | undefined {
  const parts: string[] = [];
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
