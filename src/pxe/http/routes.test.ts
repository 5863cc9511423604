import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFromQuery, metricsKind, routeOf } from './routes.ts';

test('keeps ".." and encoded ".." in file paths for openConfined to refuse', () => {
  assert.deepEqual(pick(routeOf('/files/../etc/passwd')), { kind: 'file', path: '../etc/passwd' });
  assert.deepEqual(pick(routeOf('/files/%2e%2e/etc/passwd')), { kind: 'file', path: '../etc/passwd' });
  assert.deepEqual(pick(routeOf('/files/tiny/odd%20name.img?mac=x')), { kind: 'file', path: 'tiny/odd name.img' });
});

test('refuses malformed percent-encoding with a bad request', () => {
  const route = routeOf('/files/%zz');
  assert.equal(route.kind, 'bad-request');
  assert.match(route.kind === 'bad-request' ? route.message : '', /expected a path with valid percent-encoding, found "\/files\/%zz"/);
});

test('maps /ipxe/<name> to the virtual ipxe directory and nothing deeper', () => {
  assert.deepEqual(pick(routeOf('/ipxe/ipxe.efi')), { kind: 'ipxe', path: 'ipxe/ipxe.efi' });
  assert.equal(routeOf('/ipxe/a/b').kind, 'not-found');
  assert.equal(routeOf('/ipxe/').kind, 'not-found');
});

test('recognises scripts, status and metrics, also in absolute form, and labels them for metrics', () => {
  assert.equal(routeOf('http://192.168.100.1:8080/boot.ipxe?mac=1').kind, 'boot');
  const image = routeOf('/image/tiny-linux.ipxe?mac=de-00-00-00-00-de');
  assert.equal(image.kind === 'image' && image.name, 'tiny-linux');
  assert.equal(image.kind === 'image' && image.query.get('mac'), 'de-00-00-00-00-de');
  assert.deepEqual(['/menu.ipxe', '/status', '/metrics', '/boot.ipxe', '/files/x', '/nope'].map((p) => metricsKind(routeOf(p))), [
    'menu',
    'status',
    'metrics',
    'script',
    'file',
    'other',
  ]);
});

test('reads the client from a query, arch from iPXE platform and buildarch', () => {
  assert.deepEqual(clientFromQuery(new URLSearchParams('mac=DE-00-00-00-00-DE&uuid=ABC&hostname=&platform=efi&buildarch=x86_64')), {
    macGiven: true,
    rawMac: 'DE-00-00-00-00-DE',
    mac: 'de:00:00:00:00:de',
    uuid: 'abc',
    arch: 'efi-x64',
  });
  assert.equal(clientFromQuery(new URLSearchParams('mac=x&platform=pcbios&buildarch=i386')).arch, 'bios');
  assert.equal(clientFromQuery(new URLSearchParams('arch=efi-x64-http&platform=pcbios')).arch, 'efi-x64-http');
  assert.deepEqual(clientFromQuery(new URLSearchParams('mac=')), { macGiven: true, rawMac: '' });
  assert.deepEqual(clientFromQuery(new URLSearchParams('')), { macGiven: false });
});

function pick(route: ReturnType<typeof routeOf>): { kind: string; path?: string } {
  return 'path' in route ? { kind: route.kind, path: route.path } : { kind: route.kind };
}

test('routes /done/<token> and treats a malformed token as not found without echoing it', () => {
  const token = 'A'.repeat(43);
  assert.deepEqual(routeOf(`/done/${token}`), { kind: 'done', token });
  assert.deepEqual(routeOf('/done/short'), { kind: 'not-found', path: '/done/…' });
  assert.deepEqual(routeOf('/done/a%2Fb'.padEnd(30, 'x')), { kind: 'not-found', path: '/done/…' });
  assert.equal(routeOf(`/done/${token}/x`).kind, 'not-found');
});
