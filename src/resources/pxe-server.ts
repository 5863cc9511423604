// The PXE server's configuration: the spec of the PXEServer kind and the file given to
// `pxevirt pxe serve --config`. One schema declaration (its types are Static<> of it), one
// defaulting and one validator for both.
import { CauseType, join, shown, type Cause, type Validated } from './causes.ts';
import { broadcastOf, inSubnet, networkOf, parseCidr, parseIpv4, parseRange } from '../lib/ipv4.ts';
import { isObject as isObj } from '../lib/is-object.ts';
import { normalizeMac } from '../lib/mac.ts';
import { labelSelectorSchema, parseLabelSelector } from './label-selector.ts';
import { TEMPLATE_VARIABLES, unknownVariables } from './pxe-template.ts';
import { array, boolean, integer, map, object, oneOf, string, type Static, type TObject } from './schema-builders.ts';
import { ipv6Schema, validateIpv6, type Ipv6Spec } from './pxe-server-ipv6.ts';

export const DHCP_MODES = ['server', 'proxy', 'off'] as const;
export type DhcpMode = (typeof DHCP_MODES)[number];

/** Client architectures as pxevirt names them (from DHCP option 93, RFC 4578 + IANA). */
export const CLIENT_ARCHES = ['bios', 'efi-ia32', 'efi-x64', 'efi-x64-http', 'efi-arm64', 'efi-arm64-http'] as const;
export type ClientArch = (typeof CLIENT_ARCHES)[number];

// The served shape, declared once: the PXEServer kind's OpenAPI spec (with `network`), the
// field lists the checker below reports unknown fields against, and the types (Static).
const dhcpSchema = object({
  mode: oneOf(DHCP_MODES),
  range: string('first-last; required in server mode.'),
  leaseSeconds: integer(),
  router: string(),
  dns: array(string()),
  relays: array(
    string(),
    'Relay agent addresses (giaddr) that proxyDHCP and port-4011 answers may go to; any other relayed request gets no answer. Default none.',
  ),
});
const portSchema = object({ port: integer() });
const TEMPLATE_NOTE = ' A template: {{mac}}, {{uuid}}, {{hostname}}, {{ip}}, {{arch}}, {{image}}, {{files}} and {{doneURL}} are filled in per host.';
const imageSchema = object(
  { name: string(), kernel: string(), initrd: array(string()), cmdline: string(`Kernel arguments.${TEMPLATE_NOTE}`), ipxeScript: string(`An iPXE script instead of kernel/initrd/cmdline.${TEMPLATE_NOTE}`),
    secureBoot: boolean(
      "Boot x64 UEFI firmware (not iPXE) through the signed chain instead of iPXE: Microsoft-signed shim, Debian-signed network GRUB, then this image's kernel, which must be signed by a key shim trusts (Debian's are). For hosts with Secure Boot on, which refuse the unsigned iPXE; whether a host has it on cannot be seen from its DHCP request. Kernel and initrds must be paths under root.",
    ),
  },
  ['name'],
);
const selectorSchema = object({
  mac: string(),
  uuid: string(),
  arch: oneOf(CLIENT_ARCHES),
  hostname: string(),
  vmSelector: { ...labelSelectorSchema, description: "VirtualMachines and VMIs on this server's network whose labels match; their MACs (from spec and status, MAC-pool ones included) select the host." },
  vmName: string("A VirtualMachine or VMI on this server's network, by name (`name` in the server's namespace, or `namespace/name`)."),
  circuitId: string('DHCP relay agent information (option 82) circuit ID of a relayed client: the text, or hex bytes like 0x0a0b or 0a:0b.'),
  remoteId: string('DHCP relay agent information (option 82) remote ID of a relayed client: the text, or hex bytes like 0x0a0b or 0a:0b.'),
});
/** A VirtualMachine or VMI the server can select by (the PXEServer controller fills these in). */
const vmSchema = object(
  {
    kind: oneOf(['VirtualMachine', 'VirtualMachineInstance'] as const),
    namespace: string(),
    name: string(),
    labels: map(string()),
    macs: array(string(), 'MACs of its interfaces on this network.'),
  },
  ['kind', 'namespace', 'name', 'macs'],
);

const hostSchema = object(
  {
    selector: selectorSchema,
    image: string(),
    once: boolean('Install once: after the image called its {{doneURL}}, this host boots from its next boot device (its disk) until it is sent back with `pxevirt pxe reprovision`.'),
  },
  ['selector', 'image'],
);
const menuSchema = object({ enabled: boolean(), timeoutSeconds: integer() });

/** The fields of the PXE server config (the PXEServer kind adds `network`). */
export const pxeServerConfigFields = {
  interface: string("Interface to serve on (for the PXEServer kind: inside the server's network namespace, default net1)."),
  address: string("This server's IPv4 address and prefix, a.b.c.d/nn; may be left out on an IPv6-only segment (then ipv6.address is required and dhcp.mode is off)."),
  dhcp: dhcpSchema,
  root: string('Directory the images are served from; for the PXEServer kind a relative path is under <data-dir>/pxe/ on the node.'),
  http: portSchema,
  tftp: portSchema,
  ipxeDir: string(),
  images: array(imageSchema),
  hosts: array(hostSchema),
  defaultImage: string(),
  menu: menuSchema,
  ipv6: ipv6Schema,
  vms: array(vmSchema, "The VirtualMachines and VMIs host selectors with vmSelector or vmName choose from. For a PXEServer the controller fills this in from the VMs on its network (and keeps it current); in a config file, list them by hand."),
};
const configSchema = object(pxeServerConfigFields);

/** `T` with the fields in `K` filled by defaulting (present, never undefined). */
type Defaulted<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

export type DhcpSpec = Defaulted<Static<typeof dhcpSchema>, 'mode' | 'leaseSeconds'>;
/** Kernel is a path under root or an http(s) URL. Exactly one of kernel and ipxeScript. */
export type PxeImage = Defaulted<Static<typeof imageSchema>, 'initrd' | 'cmdline'>;
export type HostSelector = Static<typeof selectorSchema>;
export type PxeHost = Static<typeof hostSchema>;
/** A VM the server selects by: its kind, name, labels and MACs on the server's network. */
export type PxeVm = Static<typeof vmSchema>;

/** A PXE server config after validatePxeServerSpec: every default filled in. */
export type PxeServerSpec = Defaulted<Omit<Static<typeof configSchema>, 'dhcp' | 'images' | 'http' | 'tftp' | 'menu' | 'ipv6' | 'vms'>, 'interface' | 'root' | 'ipxeDir' | 'hosts'> & {
  vms?: PxeVm[];
  dhcp: DhcpSpec;
  images: PxeImage[];
  http: Required<Static<typeof portSchema>>;
  tftp: Required<Static<typeof portSchema>>;
  menu: Required<Static<typeof menuSchema>>;
  /** IPv6: router-solicitation answers, this server's IPv6 address, DHCPv6. */
  ipv6: Ipv6Spec;
};

export type { Validated } from './causes.ts';

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
const IMAGE_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
const VM_NAME = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

type Obj = Record<string, unknown>;

class Checker {
  readonly causes: Cause[] = [];
  fail(type: Cause['type'], field: string, message: string): void {
    this.causes.push({ type, field, message });
  }
  /** Reports keys of `obj` that `schema` does not declare. */
  known(obj: Obj, base: string, schema: TObject): void {
    const known = Object.keys(schema.properties);
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.fail(CauseType.Unknown, join(base, key), `unknown field "${key}"; expected one of ${known.join(', ')}`);
    }
  }
  object(v: unknown, field: string, required: boolean): Obj | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(CauseType.Required, field, 'Required value: expected an object, found nothing');
      return undefined;
    }
    if (!isObj(v)) {
      this.fail(CauseType.Invalid, field, `expected an object, found ${shown(v)}`);
      return undefined;
    }
    return v;
  }
  string(v: unknown, field: string, required: boolean): string | undefined {
    if (v === undefined || v === null) {
      if (required) this.fail(CauseType.Required, field, 'Required value: expected a string, found nothing');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.fail(CauseType.Invalid, field, `expected a string, found ${shown(v)}`);
      return undefined;
    }
    return v;
  }
  integer(v: unknown, field: string, fallback: number, min: number, max: number): number {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(CauseType.Invalid, field, `expected an integer from ${min} to ${max}, found ${shown(v)}`);
      return fallback;
    }
    return v;
  }
  array(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.fail(CauseType.Invalid, field, `expected a list, found ${shown(v)}`);
      return [];
    }
    return v;
  }
  ipv4(v: unknown, field: string, required: boolean): string | undefined {
    const s = this.string(v, field, required);
    if (s === undefined) return undefined;
    if (parseIpv4(s) === undefined) {
      this.fail(CauseType.Invalid, field, `expected an IPv4 address like 192.168.100.1, found ${shown(s)}`);
      return undefined;
    }
    return s;
  }
  /** Reports template variables that are not known (a typo would otherwise reach the installer as text). */
  template(text: string, field: string): void {
    for (const name of unknownVariables(text)) {
      this.fail(CauseType.Invalid, field, `expected template variables among ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')}, found {{${name}}}`);
    }
  }
  /** A path under root (relative, no `..`) or an http(s) URL. */
  location(v: unknown, field: string): string | undefined {
    const s = this.string(v, field, true);
    if (s === undefined) return undefined;
    if (/^https?:\/\//.test(s)) {
      try {
        new URL(s);
        return s;
      } catch {
        this.fail(CauseType.Invalid, field, `expected an http(s) URL, found ${shown(s)}`);
        return undefined;
      }
    }
    if (s === '' || s.startsWith('/') || s.split('/').includes('..')) {
      this.fail(CauseType.Invalid, field, `expected a path under root (relative, without "..") or an http(s) URL, found ${shown(s)}`);
      return undefined;
    }
    return s;
  }
}

/**
 * Validates and defaults a PXE server spec. `base` prefixes field paths (`spec` for the
 * PXEServer kind, empty for a config file). Returns the defaulted value only when there
 * are no causes.
 */
export function validatePxeServerSpec(input: unknown, base = ''): Validated<PxeServerSpec> {
  const c = new Checker();
  const top = c.object(input, base === '' ? '<config>' : base, true);
  if (!top) return { causes: c.causes };
  c.known(top, base, configSchema);

  const iface = c.string(top.interface, join(base, 'interface'), true);
  if (iface !== undefined && !IFNAME.test(iface)) {
    c.fail(CauseType.Invalid, join(base, 'interface'), `expected an interface name of 1 to 15 characters, found ${shown(iface)}`);
  }

  const ipv6 = validateIpv6(c, top.ipv6, join(base, 'ipv6'));
  const addressText = c.string(top.address, join(base, 'address'), ipv6.address === undefined);
  const cidr = addressText === undefined ? undefined : parseCidr(addressText);
  if (addressText !== undefined && (!cidr || cidr.prefix < 8 || cidr.prefix > 30)) {
    c.fail(CauseType.Invalid, join(base, 'address'), `expected an IPv4 address with a prefix from /8 to /30 like 192.168.100.1/24, found ${shown(addressText)}`);
  } else if (cidr && (cidr.address === networkOf(cidr) || cidr.address === broadcastOf(cidr))) {
    c.fail(CauseType.Invalid, join(base, 'address'), `expected a host address, found the network or broadcast address ${shown(addressText)}`);
  }

  const dhcp = validateDhcp(c, top.dhcp, join(base, 'dhcp'), cidr, addressText !== undefined);

  const root = c.string(top.root, join(base, 'root'), true);
  if (root !== undefined && !root.startsWith('/')) {
    c.fail(CauseType.Invalid, join(base, 'root'), `expected an absolute directory path, found ${shown(root)}`);
  }
  const http = c.object(top.http, join(base, 'http'), false) ?? {};
  c.known(http, join(base, 'http'), portSchema);
  const tftp = c.object(top.tftp, join(base, 'tftp'), false) ?? {};
  c.known(tftp, join(base, 'tftp'), portSchema);
  const ipxeDir = c.string(top.ipxeDir, join(base, 'ipxeDir'), false) ?? '/usr/lib/ipxe';

  const images = validateImages(c, top.images, join(base, 'images'));
  const names = new Set(images.map((i) => i.name));
  const hosts = validateHosts(c, top.hosts, join(base, 'hosts'), names);

  const defaultImage = c.string(top.defaultImage, join(base, 'defaultImage'), false);
  if (defaultImage !== undefined && !names.has(defaultImage)) {
    c.fail(CauseType.NotSupported, join(base, 'defaultImage'), `expected the name of an image (${[...names].join(', ') || 'none defined'}), found ${shown(defaultImage)}`);
  }

  const menu = c.object(top.menu, join(base, 'menu'), false) ?? {};
  c.known(menu, join(base, 'menu'), menuSchema);
  if (menu.enabled !== undefined && typeof menu.enabled !== 'boolean') {
    c.fail(CauseType.Invalid, join(base, 'menu.enabled'), `expected true or false, found ${shown(menu.enabled)}`);
  }


  const vms = validateVms(c, top.vms, join(base, 'vms'));

  const value: PxeServerSpec = {
    interface: iface ?? '',
    ...(addressText === undefined ? {} : { address: addressText }),
    dhcp,
    root: root ?? '',
    http: { port: c.integer(http.port, join(base, 'http.port'), 8080, 0, 65535) },
    tftp: { port: c.integer(tftp.port, join(base, 'tftp.port'), 69, 0, 65535) },
    ipxeDir,
    images,
    hosts,
    ...(defaultImage === undefined ? {} : { defaultImage }),
    menu: {
      enabled: typeof menu.enabled === 'boolean' ? menu.enabled : true,
      timeoutSeconds: c.integer(menu.timeoutSeconds, join(base, 'menu.timeoutSeconds'), 10, 0, 3600),
    },
    ipv6,
    ...(top.vms === undefined ? {} : { vms }),
  };
  return c.causes.length === 0 ? { value, causes: [] } : { causes: c.causes };
}

function validateDhcp(c: Checker, input: unknown, base: string, cidr: ReturnType<typeof parseCidr>, hasIpv4: boolean): DhcpSpec {
  const d = c.object(input, base, false) ?? {};
  c.known(d, base, dhcpSchema);
  let mode: DhcpMode = hasIpv4 ? 'server' : 'off';
  if (d.mode !== undefined) {
    if (typeof d.mode === 'string' && (DHCP_MODES as readonly string[]).includes(d.mode)) mode = d.mode as DhcpMode;
    else c.fail(CauseType.NotSupported, join(base, 'mode'), `expected one of ${DHCP_MODES.join(', ')}, found ${shown(d.mode)}`);
  }
  if (!hasIpv4 && mode !== 'off') c.fail(CauseType.Required, join(base, 'mode'), `expected off without an IPv4 address (DHCPv4 needs one), found ${shown(mode)}; set address a.b.c.d/nn or ipv6.dhcp`);
  const spec: DhcpSpec = { mode, leaseSeconds: c.integer(d.leaseSeconds, join(base, 'leaseSeconds'), 3600, 60, 31_536_000) };
  const rangeText = c.string(d.range, join(base, 'range'), mode === 'server');
  if (rangeText !== undefined) {
    const range = parseRange(rangeText);
    if (!range) {
      c.fail(CauseType.Invalid, join(base, 'range'), `expected "first-last" with first <= last, like 192.168.100.100-192.168.100.199, found ${shown(rangeText)}`);
    } else if (cidr && (!inSubnet(cidr, range.start) || !inSubnet(cidr, range.end))) {
      c.fail(CauseType.Invalid, join(base, 'range'), `expected a range inside the server's subnet ${shown(formatNet(cidr))}, found ${shown(rangeText)}`);
    } else if (cidr && cidr.address >= range.start && cidr.address <= range.end) {
      c.fail(CauseType.Invalid, join(base, 'range'), `expected a range that leaves out the server's own address, found ${shown(rangeText)} containing it`);
    } else if (cidr && (range.start === networkOf(cidr) || range.end === broadcastOf(cidr))) {
      c.fail(CauseType.Invalid, join(base, 'range'), `expected a range without the network and broadcast addresses, found ${shown(rangeText)}`);
    }
    spec.range = rangeText;
  }
  const router = c.ipv4(d.router, join(base, 'router'), false);
  if (router !== undefined) spec.router = router;
  if (d.dns !== undefined) {
    spec.dns = c.array(d.dns, join(base, 'dns')).flatMap((v, i) => c.ipv4(v, join(join(base, 'dns'), i), true) ?? []);
  }
  if (d.relays !== undefined) {
    spec.relays = c.array(d.relays, join(base, 'relays')).flatMap((v, i) => c.ipv4(v, join(join(base, 'relays'), i), true) ?? []);
  }
  return spec;
}

function formatNet(cidr: NonNullable<ReturnType<typeof parseCidr>>): string {
  const n = networkOf(cidr);
  return `${[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')}/${cidr.prefix}`;
}

function validateImages(c: Checker, input: unknown, base: string): PxeImage[] {
  const seen = new Set<string>();
  return c.array(input, base).flatMap((raw, i): PxeImage[] => {
    const at = join(base, i);
    const o = c.object(raw, at, true);
    if (!o) return [];
    c.known(o, at, imageSchema);
    const name = c.string(o.name, join(at, 'name'), true) ?? '';
    if (o.name !== undefined && !IMAGE_NAME.test(name)) {
      c.fail(CauseType.Invalid, join(at, 'name'), `expected lower-case letters, digits, "-", "." or "_" (starting and ending alphanumeric), found ${shown(name)}`);
    } else if (seen.has(name)) {
      c.fail(CauseType.Duplicate, join(at, 'name'), `expected a unique image name, found ${shown(name)} twice`);
    }
    seen.add(name);
    const hasKernel = o.kernel !== undefined;
    const hasScript = o.ipxeScript !== undefined;
    if (hasKernel === hasScript) {
      c.fail(CauseType.Invalid, at, `expected exactly one of kernel and ipxeScript, found ${hasKernel ? 'both' : 'neither'}`);
    }
    const image: PxeImage = {
      name,
      initrd: c.array(o.initrd, join(at, 'initrd')).flatMap((v, j) => c.location(v, join(join(at, 'initrd'), j)) ?? []),
      cmdline: c.string(o.cmdline, join(at, 'cmdline'), false) ?? '',
    };
    if (o.secureBoot !== undefined) {
      if (typeof o.secureBoot !== 'boolean') c.fail(CauseType.Invalid, join(at, 'secureBoot'), `expected true or false, found ${shown(o.secureBoot)}`);
      else if (o.secureBoot && hasScript) c.fail(CauseType.Invalid, join(at, 'secureBoot'), 'expected an image with kernel (the signed chain boots a kernel through GRUB), found one with ipxeScript');
      else if (o.secureBoot) image.secureBoot = true;
    }
    c.template(image.cmdline, join(at, 'cmdline'));
    if (hasKernel) {
      const kernel = c.location(o.kernel, join(at, 'kernel'));
      if (kernel !== undefined) image.kernel = kernel;
    }
    if (hasScript) {
      const script = c.string(o.ipxeScript, join(at, 'ipxeScript'), true);
      if (script !== undefined && !script.trimStart().startsWith('#!ipxe')) {
        c.fail(CauseType.Invalid, join(at, 'ipxeScript'), `expected a script starting with "#!ipxe", found ${shown(script.split('\n')[0])}`);
      }
      if (script !== undefined) image.ipxeScript = script;
      if (script !== undefined) c.template(script, join(at, 'ipxeScript'));
    }
    return [image];
  });
}

function validateHosts(c: Checker, input: unknown, base: string, images: ReadonlySet<string>): PxeHost[] {
  return c.array(input, base).flatMap((raw, i): PxeHost[] => {
    const at = join(base, i);
    const o = c.object(raw, at, true);
    if (!o) return [];
    c.known(o, at, hostSchema);
    const sel = c.object(o.selector, join(at, 'selector'), true) ?? {};
    c.known(sel, join(at, 'selector'), selectorSchema);
    const selector: HostSelector = {};
    const mac = c.string(sel.mac, join(at, 'selector.mac'), false);
    if (mac !== undefined) {
      const m = normalizeMac(mac);
      if (m) selector.mac = m;
      else c.fail(CauseType.Invalid, join(at, 'selector.mac'), `expected a MAC address like de:00:00:00:00:de, found ${shown(mac)}`);
    }
    const uuid = c.string(sel.uuid, join(at, 'selector.uuid'), false);
    if (uuid !== undefined) {
      if (UUID.test(uuid)) selector.uuid = uuid.toLowerCase();
      else c.fail(CauseType.Invalid, join(at, 'selector.uuid'), `expected a UUID like 5d307ca9-b3ef-428c-8861-06e72d69f223, found ${shown(uuid)}`);
    }
    if (sel.arch !== undefined) {
      if (typeof sel.arch === 'string' && (CLIENT_ARCHES as readonly string[]).includes(sel.arch)) selector.arch = sel.arch as ClientArch;
      else c.fail(CauseType.NotSupported, join(at, 'selector.arch'), `expected one of ${CLIENT_ARCHES.join(', ')}, found ${shown(sel.arch)}`);
    }
    const hostname = c.string(sel.hostname, join(at, 'selector.hostname'), false);
    if (hostname !== undefined) selector.hostname = hostname;
    if (sel.vmSelector !== undefined) {
      const vmSelector = parseLabelSelector(sel.vmSelector, join(at, 'selector.vmSelector'), c.causes);
      if (vmSelector) selector.vmSelector = vmSelector;
    }
    const vmName = c.string(sel.vmName, join(at, 'selector.vmName'), false);
    if (vmName !== undefined) {
      if (VM_NAME.test(vmName)) selector.vmName = vmName;
      else c.fail(CauseType.Invalid, join(at, 'selector.vmName'), `expected a VM name like installer or default/installer, found ${shown(vmName)}`);
    }
    for (const key of ['circuitId', 'remoteId'] as const) {
      const id = c.string(sel[key], join(at, `selector.${key}`), false);
      if (id === undefined) continue;
      if (id === '' || id.length > 255) c.fail(CauseType.Invalid, join(at, `selector.${key}`), `expected 1 to 255 characters (text, or hex bytes like 0x0a0b), found ${shown(id)}`);
      else selector[key] = id;
    }
    if (Object.keys(sel).length === 0 && isObj(o.selector)) {
      c.fail(CauseType.Required, join(at, 'selector'), 'expected at least one of mac, uuid, arch, hostname, vmSelector, vmName, circuitId, remoteId, found an empty selector');
    }
    const image = c.string(o.image, join(at, 'image'), true) ?? '';
    if (o.image !== undefined && !images.has(image)) {
      c.fail(CauseType.NotSupported, join(at, 'image'), `expected the name of an image (${[...images].join(', ') || 'none defined'}), found ${shown(image)}`);
    }
    if (o.once !== undefined && typeof o.once !== 'boolean') c.fail(CauseType.Invalid, join(at, 'once'), `expected true or false, found ${shown(o.once)}`);
    return [{ selector, image, ...(o.once === true ? { once: true } : {}) }];
  });
}

/** Parses a VM inventory on its own (the PXE server's live update of `vms`). */
export function parsePxeVms(input: unknown, base = 'vms'): Validated<PxeVm[]> {
  const c = new Checker();
  const value = validateVms(c, input, base);
  return c.causes.length === 0 ? { value, causes: [] } : { causes: c.causes };
}

/** The VM inventory: kind, namespace/name, string labels, MACs (normalised). */
function validateVms(c: Checker, input: unknown, base: string): PxeVm[] {
  return c.array(input, base).flatMap((raw, i): PxeVm[] => {
    const at = join(base, i);
    const o = c.object(raw, at, true);
    if (!o) return [];
    c.known(o, at, vmSchema);
    const kind = o.kind === 'VirtualMachine' || o.kind === 'VirtualMachineInstance' ? o.kind : undefined;
    if (kind === undefined) c.fail(CauseType.NotSupported, join(at, 'kind'), `expected VirtualMachine or VirtualMachineInstance, found ${shown(o.kind)}`);
    const namespace = c.string(o.namespace, join(at, 'namespace'), true);
    const name = c.string(o.name, join(at, 'name'), true);
    const labels: Record<string, string> = {};
    const rawLabels = c.object(o.labels, join(at, 'labels'), false) ?? {};
    for (const [k, v] of Object.entries(rawLabels)) {
      if (typeof v === 'string') labels[k] = v;
      else c.fail(CauseType.Invalid, join(join(at, 'labels'), k), `expected a string, found ${shown(v)}`);
    }
    const macs = c.array(o.macs, join(at, 'macs')).flatMap((m, j) => {
      const mac = typeof m === 'string' ? normalizeMac(m) : undefined;
      if (mac === undefined) c.fail(CauseType.Invalid, join(join(at, 'macs'), j), `expected a MAC address like de:00:00:00:00:de, found ${shown(m)}`);
      return mac === undefined ? [] : [mac];
    });
    if (kind === undefined || namespace === undefined || name === undefined) return [];
    return [{ kind, namespace, name, ...(Object.keys(labels).length === 0 ? {} : { labels }), macs }];
  });
}
