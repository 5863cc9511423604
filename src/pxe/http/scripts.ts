// The iPXE script answers (/boot.ipxe, /menu.ipxe, /image/<name>.ipxe) as pure functions
// of the spec and the query, so selection and rendering are tested without sockets.
import type { ClientArch, PxeServerSpec } from '../../resources/pxe-server.ts';
import type { PxeImage } from '../../resources/pxe-server.ts';
import { doneUrl, hostValues, renderImageFor } from '../host-values.ts';
import { renderChainBack, renderImageScript, renderLocalBoot, renderMenu, renderNoImage, ScriptRenderError } from '../ipxe-script.ts';
import { selectImage } from '../select.ts';
import { clientFromQuery, type QueryClient } from './routes.ts';
import type { RelayIds } from '../relay-info.ts';

/** A script to send, and what the timeline should say about it. */
export interface ScriptAnswer {
  status: 200 | 404;
  body: string;
  client: QueryClient;
  /** `image`, `menu`, `none`, `chain` (asked iPXE for its MAC), `local` (installed: boot the disk) or `error` (could not render). */
  selection: 'image' | 'menu' | 'none' | 'chain' | 'local' | 'error';
  image?: string;
  reason: string;
}

/** The install state as a script answer needs it (server.ts backs it with the InstallStore). */
export interface InstallHooks {
  /** `local` when the host is installed once and Provisioned. */
  decide(mac: string, once: boolean): 'install' | 'local';
  /** Starts an install boot of `image` and returns its done token. */
  begin(mac: string, image: string): string;
  /** The client's address, for {{ip}}. */
  ip?: string;
  /** Option 82 IDs of the client's last relayed DHCP request (selection by circuitId/remoteId). */
  relayOf?: (mac: string) => RelayIds | undefined;
}

/** Answers /boot.ipxe: the selected image's script, the menu, a no-image script, the local-boot answer, or a chain-back for the MAC. */
export function answerBoot(spec: PxeServerSpec, baseUrl: string, query: URLSearchParams, install?: InstallHooks): ScriptAnswer {
  const client = clientFromQuery(query);
  if (!client.macGiven) {
    return { status: 200, body: renderChainBack(baseUrl), client, selection: 'chain', reason: 'no mac in the query; asking iPXE to fill in its settings' };
  }
  if (client.mac === undefined) {
    // Present but empty or malformed: chaining back again could loop forever.
    const reason = `expected mac=<MAC address like de-00-00-00-00-de>, found ${JSON.stringify(client.rawMac ?? '')}`;
    return { status: 200, body: renderNoImage(reason), client, selection: 'none', reason };
  }
  const relay = install?.relayOf?.(client.mac);
  const selection = selectImage(spec, { mac: client.mac, ...pick(client), ...(relay ? { relay } : {}) });
  if (selection.kind === 'none') return { status: 200, body: renderNoImage(selection.reason), client, selection: 'none', reason: selection.reason };
  if (selection.kind === 'menu') return rendered(client, 'menu', undefined, selection.reason, () => menuOf(spec, baseUrl));
  const image = selection.image;
  const mac = client.mac;
  if (install?.decide(mac, selection.once) === 'local') {
    const reason = `${selection.reason}; once: ${mac} is provisioned, booting from the next device`;
    return { status: 200, body: renderLocalBoot(`${mac} is installed (image ${image.name})`), client, selection: 'local', image: image.name, reason };
  }
  return rendered(client, 'image', image.name, selection.reason, () => imageScript(image, baseUrl, client, install));
}

/** Answers /menu.ipxe: every image, the spec's default first choice. */
export function answerMenu(spec: PxeServerSpec, baseUrl: string, query: URLSearchParams): ScriptAnswer {
  const client = clientFromQuery(query);
  return rendered(client, 'menu', undefined, `menu of ${spec.images.length} image(s) asked for`, () => menuOf(spec, baseUrl));
}

/** Answers /image/<name>.ipxe: that image's script, or 404 naming the images there are. */
export function answerImage(spec: PxeServerSpec, baseUrl: string, name: string, query: URLSearchParams, install?: InstallHooks): ScriptAnswer {
  const client = clientFromQuery(query);
  const image = spec.images.find((i) => i.name === name);
  if (!image) {
    const known = spec.images.map((i) => i.name).join(', ') || 'none defined';
    const reason = `no image named ${JSON.stringify(name)}; expected one of: ${known}`;
    return { status: 404, body: `${reason}\n`, client, selection: 'none', reason };
  }
  return rendered(client, 'image', image.name, `image ${image.name} asked for by name`, () => imageScript(image, baseUrl, client, install));
}

/** The image's script with its templates rendered for this client; a known MAC starts an install (and gets a doneURL). */
function imageScript(image: PxeImage, baseUrl: string, client: QueryClient, install: InstallHooks | undefined): string {
  const mac = client.mac;
  const token = mac === undefined || install === undefined ? undefined : install.begin(mac, image.name);
  const values = hostValues({ ...client, ip: install?.ip, image: image.name, baseUrl, doneURL: token === undefined ? undefined : doneUrl(baseUrl, token) });
  return renderImageScript(renderImageFor(image, values), { baseUrl, arch: client.arch, client: mac === undefined ? undefined : { mac } });
}

function menuOf(spec: PxeServerSpec, baseUrl: string): string {
  return renderMenu(spec.images, { baseUrl, timeoutSeconds: spec.menu.timeoutSeconds, default: spec.defaultImage });
}

/** Renders, turning a ScriptRenderError into a script that prints it (iPXE shows no HTTP error body). */
function rendered(client: QueryClient, selection: 'image' | 'menu', image: string | undefined, reason: string, render: () => string): ScriptAnswer {
  const named = image === undefined ? {} : { image };
  try {
    return { status: 200, body: render(), client, selection, ...named, reason };
  } catch (err) {
    if (!(err instanceof ScriptRenderError)) throw err;
    return { status: 200, body: renderNoImage(err.message), client, selection: 'error', ...named, reason: `${reason}; ${err.message}` };
  }
}

function pick(client: QueryClient): { uuid?: string; arch?: ClientArch; hostname?: string } {
  return {
    ...(client.uuid === undefined ? {} : { uuid: client.uuid }),
    ...(client.arch === undefined ? {} : { arch: client.arch }),
    ...(client.hostname === undefined ? {} : { hostname: client.hostname }),
  };
}
