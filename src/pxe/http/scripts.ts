// The iPXE script answers (/boot.ipxe, /menu.ipxe, /image/<name>.ipxe) as pure functions
// of the spec and the query, so selection and rendering are tested without sockets.
import type { ClientArch, PxeServerSpec } from '../../resources/pxe-server.ts';
import { renderChainBack, renderImageScript, renderMenu, renderNoImage, ScriptRenderError } from '../ipxe-script.ts';
import { selectImage } from '../select.ts';
import { clientFromQuery, type QueryClient } from './routes.ts';

/** A script to send, and what the timeline should say about it. */
export interface ScriptAnswer {
  status: 200 | 404;
  body: string;
  client: QueryClient;
  /** `image`, `menu`, `none`, `chain` (asked iPXE for its MAC) or `error` (could not render). */
  selection: 'image' | 'menu' | 'none' | 'chain' | 'error';
  image?: string;
  reason: string;
}

/** Answers /boot.ipxe: the selected image's script, the menu, a no-image script, or a chain-back for the MAC. */
export function answerBoot(spec: PxeServerSpec, baseUrl: string, query: URLSearchParams): ScriptAnswer {
  const client = clientFromQuery(query);
  if (!client.macGiven) {
    return { status: 200, body: renderChainBack(baseUrl), client, selection: 'chain', reason: 'no mac in the query; asking iPXE to fill in its settings' };
  }
  if (client.mac === undefined) {
    // Present but empty or malformed: chaining back again could loop forever.
    const reason = `expected mac=<MAC address like de-00-00-00-00-de>, found ${JSON.stringify(client.rawMac ?? '')}`;
    return { status: 200, body: renderNoImage(reason), client, selection: 'none', reason };
  }
  const selection = selectImage(spec, { mac: client.mac, ...pick(client) });
  if (selection.kind === 'none') return { status: 200, body: renderNoImage(selection.reason), client, selection: 'none', reason: selection.reason };
  if (selection.kind === 'menu') return rendered(client, 'menu', undefined, selection.reason, () => menuOf(spec, baseUrl));
  const image = selection.image;
  return rendered(client, 'image', image.name, selection.reason, () =>
    renderImageScript(image, { baseUrl, arch: client.arch, client: { mac: client.mac ?? '' } }),
  );
}

/** Answers /menu.ipxe: every image, the spec's default first choice. */
export function answerMenu(spec: PxeServerSpec, baseUrl: string, query: URLSearchParams): ScriptAnswer {
  const client = clientFromQuery(query);
  return rendered(client, 'menu', undefined, `menu of ${spec.images.length} image(s) asked for`, () => menuOf(spec, baseUrl));
}

/** Answers /image/<name>.ipxe: that image's script, or 404 naming the images there are. */
export function answerImage(spec: PxeServerSpec, baseUrl: string, name: string, query: URLSearchParams): ScriptAnswer {
  const client = clientFromQuery(query);
  const image = spec.images.find((i) => i.name === name);
  if (!image) {
    const known = spec.images.map((i) => i.name).join(', ') || 'none defined';
    const reason = `no image named ${JSON.stringify(name)}; expected one of: ${known}`;
    return { status: 404, body: `${reason}\n`, client, selection: 'none', reason };
  }
  return rendered(client, 'image', image.name, `image ${image.name} asked for by name`, () =>
    renderImageScript(image, { baseUrl, arch: client.arch, client: client.mac === undefined ? undefined : { mac: client.mac } }),
  );
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
