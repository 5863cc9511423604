// The template variables of one host's boot, from what the server knows about it. Values a
// client reports (hostname, uuid) are kept only when they are plain, so a rendered cmdline or
// iPXE script cannot be steered by a hostile client. Pure.
import { renderTemplate, type TemplateValues } from '../resources/pxe-template.ts';
import type { ClientArch, PxeImage } from '../resources/pxe-server.ts';

export interface HostFacts {
  mac?: string | undefined;
  uuid?: string | undefined;
  hostname?: string | undefined;
  ip?: string | undefined;
  arch?: ClientArch | undefined;
  image?: string | undefined;
  /** This server's base URL (no trailing slash). */
  baseUrl: string;
  doneURL?: string | undefined;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IP = /^[0-9a-fA-F.:]{2,45}$/;

/** The values of {{mac}}, {{uuid}}, … for one host; unknown or unsafe facts are left out (rendered empty). */
export function hostValues(f: HostFacts): TemplateValues {
  const v: TemplateValues = { files: `${f.baseUrl.replace(/\/+$/, '')}/files` };
  if (f.mac !== undefined) v.mac = f.mac;
  if (f.uuid !== undefined && UUID.test(f.uuid)) v.uuid = f.uuid;
  if (f.hostname !== undefined && HOSTNAME.test(f.hostname)) v.hostname = f.hostname;
  if (f.ip !== undefined && IP.test(f.ip)) v.ip = f.ip;
  if (f.arch !== undefined) v.arch = f.arch;
  if (f.image !== undefined) v.image = f.image;
  if (f.doneURL !== undefined) v.doneURL = f.doneURL;
  return v;
}

/** The image with its cmdline and iPXE script rendered for one host. */
export function renderImageFor(image: PxeImage, values: TemplateValues): PxeImage {
  const out: PxeImage = { ...image, cmdline: renderTemplate(image.cmdline, values).text };
  if (image.ipxeScript !== undefined) out.ipxeScript = renderTemplate(image.ipxeScript, values).text;
  return out;
}

/** The URL a host POSTs to when its install is done. */
export function doneUrl(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/done/${token}`;
}
