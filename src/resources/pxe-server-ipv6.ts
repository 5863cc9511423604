// The `ipv6` part of the PXE server config: this server's IPv6 address, the router
// advertisement it answers solicitations with, and DHCPv6 (stateful with a range, or
// stateless). Declared once here; pxe-server.ts embeds the schema and calls the validator.
import { CauseType, join, shown, type Cause } from './causes.ts';
import { formatIpv6, inPrefix6, network6, parseCidr6, parseIpv6, parseRange6 } from '../lib/ipv6.ts';
import { isObject } from '../lib/is-object.ts';
import { array, boolean, integer, object, oneOf, string, type Static, type TObject } from './schema-builders.ts';

export const DHCP6_MODES = ['stateful', 'stateless', 'off'] as const;
export type Dhcp6Mode = (typeof DHCP6_MODES)[number];

const dhcp6Schema = object({
  mode: oneOf(
    DHCP6_MODES,
    'stateful: addresses from `range` (router advertisements with M=1); stateless: router advertisements with O=1 and SLAAC, and addresses from `range` (if given) only to clients that ask for them (UEFI PXE and HTTP boot do); off: no DHCPv6. Default stateful when a range is given, else stateless.',
  ),
  range: string('first-last inside the prefix of ipv6.address, like fd00:100::1000-fd00:100::1fff; required in stateful mode.'),
  leaseSeconds: integer('Valid lifetime of leased addresses; default 3600.'),
  dns: array(string(), 'IPv6 DNS servers (option 23).'),
});

export const ipv6Schema = object({
  answerRouterSolicitations: boolean(
    'Answer IPv6 router solicitations (router lifetime 0: never a default router); default true; silent while another router answers. Without `address` the advertisement is empty; with it, it carries the on-link prefix and the M/O flags DHCPv6 needs.',
  ),
  address: string("This server's IPv6 address and prefix on the interface, like fd00:100::1/64; serves TFTP, HTTP and DHCPv6 over IPv6."),
  dhcp: dhcp6Schema,
});

export interface Dhcp6Spec {
  mode: Dhcp6Mode;
  range?: string;
  leaseSeconds: number;
  dns?: string[];
}

/** The validated `ipv6` section with defaults filled in. */
export type Ipv6Spec = Omit<Required<Static<typeof ipv6Schema>>, 'address' | 'dhcp'> & { address?: string; dhcp: Dhcp6Spec };

/** What the validator needs of the config checker (pxe-server.ts's). */
export interface CheckerLike {
  readonly causes: Cause[];
  fail(type: Cause['type'], field: string, message: string): void;
  known(obj: Record<string, unknown>, base: string, schema: TObject): void;
  string(v: unknown, field: string, required: boolean): string | undefined;
  integer(v: unknown, field: string, fallback: number, min: number, max: number): number;
  array(v: unknown, field: string): unknown[];
}

/** Validates and defaults the `ipv6` section; `base` is its field path. */
export function validateIpv6(c: CheckerLike, input: unknown, base: string): Ipv6Spec {
  const o = section(c, input, base);
  c.known(o, base, ipv6Schema);
  if (o.answerRouterSolicitations !== undefined && typeof o.answerRouterSolicitations !== 'boolean') {
    c.fail(CauseType.Invalid, join(base, 'answerRouterSolicitations'), `expected true or false, found ${shown(o.answerRouterSolicitations)}`);
  }
  const addressText = c.string(o.address, join(base, 'address'), false);
  const cidr = addressText === undefined ? undefined : parseCidr6(addressText);
  if (addressText !== undefined) {
    if (!cidr || cidr.prefix < 16 || cidr.prefix > 127) {
      c.fail(CauseType.Invalid, join(base, 'address'), `expected an IPv6 address with a prefix from /16 to /127 like fd00:100::1/64, found ${shown(addressText)}`);
    } else if (cidr.address === network6(cidr) || (cidr.address >> 118n) === 0x3fan /* fe80::/10 */ || cidr.address >> 120n === 0xffn) {
      c.fail(CauseType.Invalid, join(base, 'address'), `expected a unicast, non-link-local host address (the link-local one is the kernel's), found ${shown(addressText)}`);
    }
  }

  const d = section(c, o.dhcp, join(base, 'dhcp'));
  c.known(d, join(base, 'dhcp'), dhcp6Schema);
  const rangeText = c.string(d.range, join(base, 'dhcp.range'), false);
  let mode: Dhcp6Mode = rangeText === undefined ? 'stateless' : 'stateful';
  if (d.mode !== undefined) {
    if (typeof d.mode === 'string' && (DHCP6_MODES as readonly string[]).includes(d.mode)) mode = d.mode as Dhcp6Mode;
    else c.fail(CauseType.NotSupported, join(base, 'dhcp.mode'), `expected one of ${DHCP6_MODES.join(', ')}, found ${shown(d.mode)}`);
  }
  if (addressText === undefined && mode !== 'off' && (d.mode !== undefined || rangeText !== undefined)) {
    c.fail(CauseType.Required, join(base, 'address'), `Required value: expected an IPv6 address for DHCPv6 mode ${mode}, found nothing`);
  }
  if (mode === 'stateful' && rangeText === undefined) {
    c.fail(CauseType.Required, join(base, 'dhcp.range'), 'Required value: expected "first-last" for DHCPv6 mode stateful, found nothing');
  }
  const dhcp: Dhcp6Spec = { mode: addressText === undefined && d.mode === undefined && rangeText === undefined ? 'off' : mode, leaseSeconds: c.integer(d.leaseSeconds, join(base, 'dhcp.leaseSeconds'), 3600, 60, 31_536_000) };
  if (rangeText !== undefined) {
    const range = parseRange6(rangeText);
    if (!range) c.fail(CauseType.Invalid, join(base, 'dhcp.range'), `expected "first-last" with first <= last, like fd00:100::1000-fd00:100::1fff, found ${shown(rangeText)}`);
    else if (cidr && (!inPrefix6(cidr, range.start) || !inPrefix6(cidr, range.end))) {
      c.fail(CauseType.Invalid, join(base, 'dhcp.range'), `expected a range inside the server's prefix ${formatIpv6(network6(cidr))}/${cidr.prefix}, found ${shown(rangeText)}`);
    } else if (cidr && cidr.address >= range.start && cidr.address <= range.end) {
      c.fail(CauseType.Invalid, join(base, 'dhcp.range'), `expected a range that leaves out the server's own address, found ${shown(rangeText)} containing it`);
    }
    dhcp.range = rangeText;
  }
  if (d.dns !== undefined) {
    dhcp.dns = c.array(d.dns, join(base, 'dhcp.dns')).flatMap((v, i) => {
      const field = join(join(base, 'dhcp.dns'), i);
      const s = c.string(v, field, true);
      if (s !== undefined && parseIpv6(s) === undefined) c.fail(CauseType.Invalid, field, `expected an IPv6 address like fd00:100::53, found ${shown(s)}`);
      return s === undefined ? [] : [s];
    });
  }
  return { answerRouterSolicitations: o.answerRouterSolicitations !== false, ...(addressText === undefined ? {} : { address: addressText }), dhcp };
}

function section(c: CheckerLike, v: unknown, field: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (isObject(v)) return v;
  c.fail(CauseType.Invalid, field, `expected an object, found ${shown(v)}`);
  return {};
}

/** The server's addresses for messages: "a.b.c.d/nn", "fd00::1/64" or both joined by "and". */
export function servedAddresses(spec: { address?: string; ipv6?: { address?: string } }): string {
  // `ipv6` may be absent on a stored object that never went through defaulting.
  return [spec.address, spec.ipv6?.address].filter((a) => a !== undefined).join(' and ');
}
