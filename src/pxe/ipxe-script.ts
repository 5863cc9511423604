// iPXE scripts: one image's kernel/initrd/boot lines, the menu of all images, the
// "nothing for you" script and the chain-back that makes iPXE say who it is. Pure.
//
// iPXE splits a line on whitespace, treats a word starting with "#" as the start of a
// comment, the words "&&", "||" and ";" as operators, and expands ${setting} everywhere; anything from
// the spec that lands in a script is checked or sanitised with that in mind.
import type { ClientArch, PxeImage } from '../resources/pxe-server.ts';

/** An image cannot be rendered into a script; names the image, the field and what was found. */
export class ScriptRenderError extends Error {
  readonly image: string;
  readonly field: string;
  readonly found: string;
  constructor(image: string, field: string, expected: string, found: string) {
    super(`image ${image}: ${field}: expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'ScriptRenderError';
    this.image = image;
    this.field = field;
    this.found = found;
  }
}

export interface ImageScriptOptions {
  /** Where this server is reachable, e.g. `http://192.168.100.1:8080` (no trailing slash). */
  baseUrl: string;
  arch?: ClientArch | undefined;
  client?: { mac: string } | undefined;
}

export interface MenuOptions {
  baseUrl: string;
  /** 0 waits for a choice. */
  timeoutSeconds: number;
  /** The image chosen when the timeout expires; the first image when absent. */
  default?: string | undefined;
}

/** The iPXE settings a client reports in a query string (filled in by iPXE itself). */
export const IPXE_CLIENT_QUERY = 'mac=${mac:hexhyp}&uuid=${uuid}&hostname=${hostname}&platform=${platform}&buildarch=${buildarch}';

const IMAGE_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
const SAFE_IMAGE_FILE_NAME = /^[A-Za-z0-9._+-]+$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The URL of a kernel or initrd: http(s) URLs as written, paths under root below /files/. */
export function fileUrl(baseUrl: string, location: string): string {
  if (/^https?:\/\//.test(location)) return location;
  const segments = location.split('/').filter((s) => s !== '' && s !== '.');
  return `${trimSlash(baseUrl)}/files/${segments.map(encodeURIComponent).join('/')}`;
}

/** Renders the script that boots one image. Throws ScriptRenderError for what iPXE would misread. */
export function renderImageScript(image: PxeImage, options: ImageScriptOptions): string {
  checkImageName(image.name);
  if (image.ipxeScript !== undefined) {
    // iPXE recognises a script only by "#!ipxe" at the very first byte.
    const script = image.ipxeScript.trimStart();
    if (!script.startsWith('#!ipxe')) throw new ScriptRenderError(image.name, 'ipxeScript', 'a script starting with "#!ipxe"', script.split('\n')[0] ?? '');
    return script.endsWith('\n') ? script : `${script}\n`;
  }
  const who = [options.client ? `for ${options.client.mac}` : '', options.arch ? `(${options.arch})` : ''].filter(Boolean).join(' ');
  if (image.kernel === undefined) throw new ScriptRenderError(image.name, 'kernel', 'a kernel or an ipxeScript', '');
  const kernelUrl = checkedUrl(image.name, 'kernel', fileUrl(options.baseUrl, image.kernel));
  const initrds = nameInitrds(image, options.baseUrl);
  const args = [...initrds.map((i) => `initrd=${i.name}`), ...checkedCmdline(image)];
  const lines = [
    '#!ipxe',
    `# pxevirt: image ${image.name}${who ? ` ${sanitize(who)}` : ''}`,
    // Under UEFI the kernel only receives initrds named on its command line; BIOS ignores it.
    [`kernel ${kernelUrl}`, ...args].join(' '),
    ...initrds.map((i) => (i.explicit ? `initrd --name ${i.name} ${i.url}` : `initrd ${i.url}`)),
    'boot',
  ];
  return `${lines.join('\n')}\n`;
}

/** Renders an iPXE menu of the images, each chaining to its own script, plus an exit item. */
export function renderMenu(images: readonly PxeImage[], options: MenuOptions): string {
  for (const image of images) checkImageName(image.name);
  const base = trimSlash(options.baseUrl);
  const first = images[0]?.name;
  const chosen = options.default ?? first;
  if (options.default !== undefined && !images.some((i) => i.name === options.default)) {
    throw new ScriptRenderError(options.default, 'default', `one of ${images.map((i) => i.name).join(', ') || 'no images'}`, options.default);
  }
  if (!Number.isInteger(options.timeoutSeconds) || options.timeoutSeconds < 0) {
    throw new ScriptRenderError('<menu>', 'timeoutSeconds', 'a non-negative integer', String(options.timeoutSeconds));
  }
  const choose = ['choose'];
  if (options.timeoutSeconds > 0) choose.push(`--timeout ${options.timeoutSeconds * 1000}`);
  choose.push(`--default ${chosen === undefined ? 'next-device' : label(chosen)}`);
  const lines = [
    '#!ipxe',
    'menu pxevirt: choose an image to boot',
    ...images.map((i) => `item ${label(i.name)} ${i.name}`),
    'item --gap',
    'item next-device Exit and boot from the next device',
    `${choose.join(' ')} target && goto \${target} || goto next-device`,
    ...images.flatMap((i) => [`:${label(i.name)}`, `chain ${base}/image/${i.name}.ipxe?${IPXE_CLIENT_QUERY} || goto failed`]),
    ':failed',
    'echo pxevirt: the chosen image did not boot, trying the next boot device in 5 seconds',
    'sleep 5',
    ':next-device',
    'exit',
  ];
  return `${lines.join('\n')}\n`;
}

/** Renders a script that prints why there is nothing to boot and exits to the next boot device. */
export function renderNoImage(reason: string): string {
  return ['#!ipxe', `echo pxevirt: nothing to boot: ${sanitize(reason)}`, 'echo pxevirt: trying the next boot device in 5 seconds', 'sleep 5', 'exit', ''].join('\n');
}

/** Renders the answer to an installed `once` host: say so and exit to the firmware, which boots the next device (the disk). */
export function renderLocalBoot(why: string): string {
  return ['#!ipxe', `echo pxevirt: ${sanitize(why)}: booting from the next device`, 'exit', ''].join('\n');
}

/** Renders a script that fetches `path` again with the client's MAC, UUID, hostname and arch filled in by iPXE. */
export function renderChainBack(baseUrl: string, path = '/boot.ipxe'): string {
  return `#!ipxe\nchain ${trimSlash(baseUrl)}${path}?${IPXE_CLIENT_QUERY}\n`;
}

/** Makes free text safe on an `echo` or comment line: no newlines, settings, operators or comments. */
export function sanitize(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/;/g, ',')
    .replace(/[^A-Za-z0-9 .,:=/_()@+\-[\]]/g, '_')
    .trim()
    .slice(0, 300);
}

function label(name: string): string {
  return `image-${name}`;
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function checkImageName(name: string): void {
  if (!IMAGE_NAME.test(name)) throw new ScriptRenderError(name, 'name', 'lower-case letters, digits, "-", "." or "_"', name);
}

function checkedUrl(image: string, field: string, url: string): string {
  if (/\s/.test(url) || CONTROL.test(url)) throw new ScriptRenderError(image, field, 'a URL without whitespace or control characters', url);
  return url;
}

function checkedCmdline(image: PxeImage): string[] {
  if (CONTROL.test(image.cmdline.replace(/\t/g, ' '))) {
    throw new ScriptRenderError(image.name, 'cmdline', 'a single line without control characters (no newline)', image.cmdline);
  }
  const words = image.cmdline.split(/[ \t]+/).filter((w) => w !== '');
  for (const word of words) {
    if (word.startsWith('#') || word === '&&' || word === '||' || word === ';') {
      throw new ScriptRenderError(image.name, 'cmdline', 'kernel arguments without a word starting with "#" or a "&&", "||" or ";" word (iPXE reads those as a comment or an operator)', image.cmdline);
    }
  }
  return words;
}

interface NamedInitrd {
  url: string;
  name: string;
  /** The name must be given with --name: the URL's own basename is unusable or taken. */
  explicit: boolean;
}

/** iPXE names a fetched image after the basename of its URL path; keep that when it is safe and unique. */
function nameInitrds(image: PxeImage, baseUrl: string): NamedInitrd[] {
  const taken = new Set<string>();
  return image.initrd.map((location, index) => {
    const url = checkedUrl(image.name, `initrd[${index}]`, fileUrl(baseUrl, location));
    const base = basenameOf(location);
    if (base !== undefined && SAFE_IMAGE_FILE_NAME.test(base) && !taken.has(base)) {
      taken.add(base);
      return { url, name: base, explicit: false };
    }
    let name = `initrd-${index}`;
    for (let n = 0; taken.has(name); n++) name = `initrd-${index}-${n}`;
    taken.add(name);
    return { url, name, explicit: true };
  });
}

function basenameOf(location: string): string | undefined {
  let path = location;
  if (/^https?:\/\//.test(location)) {
    try {
      path = decodeURIComponent(new URL(location).pathname);
    } catch {
      return undefined;
    }
  }
  const last = path.split('/').filter((s) => s !== '').pop();
  return last === undefined || last === '.' || last === '..' ? undefined : last;
}
