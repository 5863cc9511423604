import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePxeServerSpec } from './pxe-server.ts';

const good = {
  interface: 'br1',
  address: '192.168.100.1/24',
  dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.199', router: '192.168.100.1', dns: ['192.168.100.1'] },
  root: '/srv/pxe',
  http: { port: 8080 },
  images: [
    { name: 'tiny-linux', kernel: 'tiny/vmlinuz', initrd: ['tiny/initrd.gz'], cmdline: 'console=ttyS0' },
    { name: 'rescue', ipxeScript: '#!ipxe\necho rescue\n' },
  ],
  hosts: [{ selector: { mac: 'DE-00-00-00-00-DE' }, image: 'tiny-linux' }],
  defaultImage: 'tiny-linux',
  menu: { enabled: true, timeoutSeconds: 10 },
};

const fields = (input: unknown, base?: string) => validatePxeServerSpec(input, base).causes.map((c) => c.field).sort();
const messageFor = (input: unknown, field: string) => validatePxeServerSpec(input).causes.find((c) => c.field === field)?.message ?? '';

test('accepts the documented example and applies defaults', () => {
  const { value, causes } = validatePxeServerSpec(good);
  assert.deepEqual(causes, []);
  assert.equal(value?.dhcp.leaseSeconds, 3600);
  assert.equal(value?.tftp.port, 69);
  assert.equal(value?.ipxeDir, '/usr/lib/ipxe');
  assert.equal(value?.hosts[0]?.selector.mac, 'de:00:00:00:00:de');
});

test('a plain file server needs no images and no DHCP', () => {
  const { value, causes } = validatePxeServerSpec({ interface: 'br1', address: '10.1.0.1/16', dhcp: { mode: 'off' }, root: '/srv' });
  assert.deepEqual(causes, []);
  assert.deepEqual(value?.images, []);
  assert.equal(value?.menu.enabled, true);
});

test('names the field, the expectation and the value found', () => {
  const msg = messageFor({ ...good, dhcp: { ...good.dhcp, mode: 'relay' } }, 'dhcp.mode');
  assert.match(msg, /expected one of server, proxy, off, found "relay"/);
});

test('prefixes field paths for the PXEServer kind', () => {
  assert.deepEqual(fields({ ...good, address: 'x' }, 'spec'), ['spec.address']);
});

test('requires a range in server mode but not in proxy mode', () => {
  const { range: _r, ...noRange } = good.dhcp;
  assert.deepEqual(fields({ ...good, dhcp: noRange }), ['dhcp.range']);
  assert.deepEqual(fields({ ...good, dhcp: { mode: 'proxy' } }), []);
});

test('refuses a range outside the subnet or containing the server address', () => {
  assert.match(messageFor({ ...good, dhcp: { ...good.dhcp, range: '10.0.0.1-10.0.0.9' } }, 'dhcp.range'), /inside the server's subnet "192.168.100.0\/24"/);
  assert.match(messageFor({ ...good, dhcp: { ...good.dhcp, range: '192.168.100.1-192.168.100.9' } }, 'dhcp.range'), /leaves out the server's own address/);
  assert.match(messageFor({ ...good, dhcp: { ...good.dhcp, range: '192.168.100.9-192.168.100.1' } }, 'dhcp.range'), /first <= last/);
});

test('refuses unknown fields at every level', () => {
  assert.deepEqual(fields({ ...good, extra: 1, dhcp: { ...good.dhcp, pool: 'x' } }), ['dhcp.pool', 'extra']);
});

test('image paths stay under root', () => {
  const bad = { ...good, images: [{ name: 'a', kernel: '/boot/vmlinuz', initrd: ['../x', 'ok/initrd'] }], hosts: [], defaultImage: 'a' };
  assert.deepEqual(fields(bad), ['images[0].initrd[0]', 'images[0].kernel']);
  const url = { ...good, images: [{ name: 'a', kernel: 'http://10.0.0.1/vmlinuz' }], hosts: [], defaultImage: 'a' };
  assert.deepEqual(fields(url), []);
});

test('an image has exactly one of kernel and ipxeScript', () => {
  assert.match(messageFor({ ...good, images: [{ name: 'a' }], hosts: [], defaultImage: undefined }, 'images[0]'), /found neither/);
  assert.match(
    messageFor({ ...good, images: [{ name: 'a', kernel: 'k', ipxeScript: '#!ipxe' }], hosts: [], defaultImage: undefined }, 'images[0]'),
    /found both/,
  );
});

test('duplicate image names and unknown image references are refused', () => {
  const dup = { ...good, images: [good.images[0], good.images[0]] };
  assert.deepEqual(fields(dup), ['images[1].name']);
  assert.match(messageFor({ ...good, defaultImage: 'nope' }, 'defaultImage'), /expected the name of an image \(tiny-linux, rescue\), found "nope"/);
});

test('selectors are checked field by field', () => {
  const bad = { ...good, hosts: [{ selector: { mac: 'zz', arch: 'sparc', uuid: '1' }, image: 'rescue' }, { selector: {}, image: 'rescue' }] };
  assert.deepEqual(fields(bad), ['hosts[0].selector.arch', 'hosts[0].selector.mac', 'hosts[0].selector.uuid', 'hosts[1].selector']);
});

test('reports a missing document and wrong types without throwing', () => {
  assert.deepEqual(fields(undefined), ['<config>']);
  assert.deepEqual(fields({ ...good, http: { port: 'x' }, images: 'none', hosts: [], defaultImage: undefined }), ['http.port', 'images']);
});

test('dhcp.relays takes IPv4 addresses and names a bad one', () => {
  assert.deepEqual(validatePxeServerSpec({ ...good, dhcp: { mode: 'proxy', relays: ['10.9.9.9'] } }).value?.dhcp.relays, ['10.9.9.9']);
  assert.match(messageFor({ ...good, dhcp: { mode: 'proxy', relays: ['10.9.9'] } }, 'dhcp.relays[0]'), /10\.9\.9/);
});

test('rejects unknown template variables in cmdline and ipxeScript, naming the field and the variable', () => {
  const spec = {
    ...good,
    images: [
      { name: 'tiny-linux', kernel: 'tiny/vmlinuz', cmdline: 'ks={{files}}/ks.cfg done={{doneUrl}}' },
      { name: 'rescue', ipxeScript: '#!ipxe\necho {{mac}} {{hostnam}}\n' },
    ],
  };
  assert.deepEqual(fields(spec), ['images[0].cmdline', 'images[1].ipxeScript']);
  assert.match(messageFor(spec, 'images[0].cmdline'), /found \{\{doneUrl\}\}/);
  assert.match(messageFor(spec, 'images[0].cmdline'), /\{\{doneURL\}\}/);
  assert.deepEqual(fields({ ...good, images: [{ name: 'tiny-linux', kernel: 'k', cmdline: 'ip={{ ip }} {{doneURL}}' }] }), []);
});

test('accepts once: true on a host and rejects a non-boolean', () => {
  const once = { ...good, hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'tiny-linux', once: true }] };
  assert.equal(validatePxeServerSpec(once).value?.hosts[0]?.once, true);
  assert.deepEqual(fields({ ...good, hosts: [{ selector: { mac: 'de:00:00:00:00:de' }, image: 'tiny-linux', once: 'yes' }] }), ['hosts[0].once']);
});

test('IPv6: an IPv6-only server needs no IPv4 address; DHCPv4 is then off, and asking for it names the field', () => {
  const v6only = { interface: 'br1', root: '/srv', ipv6: { address: 'fd00:100::1/64', dhcp: { range: 'fd00:100::1000-fd00:100::1fff' } } };
  const { value, causes } = validatePxeServerSpec(v6only);
  assert.deepEqual(causes, []);
  assert.equal(value?.address, undefined);
  assert.equal(value?.dhcp.mode, 'off');
  assert.deepEqual(value?.ipv6, { answerRouterSolicitations: true, address: 'fd00:100::1/64', dhcp: { mode: 'stateful', leaseSeconds: 3600, range: 'fd00:100::1000-fd00:100::1fff' } });
  assert.match(messageFor({ ...v6only, dhcp: { mode: 'server' } }, 'dhcp.mode'), /expected off without an IPv4 address/);
  assert.equal(validatePxeServerSpec({ interface: 'br1', root: '/srv' }).causes[0]?.field, 'address', 'neither address: the IPv4 one is required');
  assert.equal(validatePxeServerSpec({ ...good, ipv6: {} }).value?.ipv6.dhcp.mode, 'off', 'no IPv6 address: no DHCPv6');
  assert.equal(validatePxeServerSpec({ ...good, ipv6: { address: 'fd00::1/64' } }).value?.ipv6.dhcp.mode, 'stateless');
});

test('IPv6: bad addresses, ranges and modes name the field, the expectation and the value found', () => {
  const v6 = (ipv6: unknown) => ({ ...good, ipv6 });
  assert.match(messageFor(v6({ address: 'fd00::1' }), 'ipv6.address'), /expected an IPv6 address with a prefix from \/16 to \/127 like fd00:100::1\/64, found "fd00::1"/);
  assert.match(messageFor(v6({ address: 'fe80::1/64' }), 'ipv6.address'), /non-link-local/);
  assert.match(messageFor(v6({ address: 'fd00::/64' }), 'ipv6.address'), /host address/);
  assert.match(messageFor(v6({ address: 'fd00::1/64', dhcp: { range: 'fd01::1-fd01::9' } }), 'ipv6.dhcp.range'), /expected a range inside the server's prefix fd00::\/64, found "fd01::1-fd01::9"/);
  assert.match(messageFor(v6({ address: 'fd00::1/64', dhcp: { range: 'fd00::9-fd00::1' } }), 'ipv6.dhcp.range'), /first <= last/);
  assert.match(messageFor(v6({ address: 'fd00::5/64', dhcp: { range: 'fd00::1-fd00::9' } }), 'ipv6.dhcp.range'), /leaves out the server's own address/);
  assert.match(messageFor(v6({ address: 'fd00::1/64', dhcp: { mode: 'stateful' } }), 'ipv6.dhcp.range'), /Required value/);
  assert.match(messageFor(v6({ address: 'fd00::1/64', dhcp: { mode: 'relay' } }), 'ipv6.dhcp.mode'), /expected one of stateful, stateless, off, found "relay"/);
  assert.match(messageFor(v6({ dhcp: { mode: 'stateless' } }), 'ipv6.address'), /Required value: expected an IPv6 address for DHCPv6 mode stateless/);
  assert.match(messageFor(v6({ address: 'fd00::1/64', dhcp: { dns: ['8.8.8.8'] } }), 'ipv6.dhcp.dns[0]'), /expected an IPv6 address/);
  assert.match(messageFor(v6({ adress: 'fd00::1/64' }), 'ipv6.adress'), /unknown field "adress"/);
});
