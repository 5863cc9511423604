import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Discovery, type ResourceInfo } from './discovery.ts';
import { DISCOVERY_TTL_MS, fileDiscoveryCache, fnv1a64 } from './discovery-cache.ts';

const vmis: ResourceInfo = { group: 'kubevirt.io', version: 'v1', resource: 'virtualmachineinstances', singular: 'virtualmachineinstance', kind: 'VirtualMachineInstance', namespaced: true, shortNames: ['vmi'], verbs: ['get'], categories: ['all'] };

/** A fake server: counts requests; `extra` adds a group after the fact. */
function server(extra = false) {
  const seen: string[] = [];
  const get = async (path: string): Promise<unknown> => {
    seen.push(path);
    if (path === '/apis') return { groups: [{ name: 'kubevirt.io', preferredVersion: { version: 'v1' } }, ...(extra ? [{ name: 'cdi.kubevirt.io', preferredVersion: { version: 'v1beta1' } }] : [])] };
    if (path === '/api/v1') return { resources: [] };
    if (path === '/apis/kubevirt.io/v1') return { resources: [{ name: 'virtualmachineinstances', singularName: 'virtualmachineinstance', namespaced: true, kind: 'VirtualMachineInstance', shortNames: ['vmi'], verbs: ['get'], categories: ['all'] }] };
    if (path === '/apis/cdi.kubevirt.io/v1beta1') return { resources: [{ name: 'datavolumes', singularName: 'datavolume', namespaced: true, kind: 'DataVolume', shortNames: ['dv'] }] };
    throw new Error(`unexpected ${path}`);
  };
  return { seen, get };
}

test('a second run resolves from the disk cache with no request; an unknown name refreshes it once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-disc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = server();
  assert.deepEqual(await new Discovery(first.get, fileDiscoveryCache(dir, 'https://127.0.0.1:6443', 'token')).resolve('vmi'), vmis);
  assert.equal(first.seen.length, 3);
  const file = join(dir, 'pxevirt', 'discovery', readdirSync(join(dir, 'pxevirt', 'discovery'))[0] ?? '');
  assert.equal(statSync(file).mode & 0o777, 0o600);

  const second = server(true);
  const d = new Discovery(second.get, fileDiscoveryCache(dir, 'https://127.0.0.1:6443', 'token'));
  assert.equal((await d.resolve('vmi')).kind, 'VirtualMachineInstance');
  assert.equal(second.seen.length, 0, 'answered from the cache');
  assert.equal((await d.resolve('dv')).kind, 'DataVolume', 'a kind the cache lacks: refreshed from the server');
  assert.ok(second.seen.includes('/apis'));
  await assert.rejects(d.resolve('nothing'), /nothing/);
});

test('an expired, corrupt or other server\'s cache is not used', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-disc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let clock = Date.now();
  const cache = fileDiscoveryCache(dir, 'https://127.0.0.1:6443', 'token', () => clock);
  cache.save([vmis]);
  assert.deepEqual(cache.load(), [vmis]);
  assert.equal(fileDiscoveryCache(dir, 'https://127.0.0.1:6444', 'token').load(), undefined, 'another server');
  assert.equal(fileDiscoveryCache(dir, 'https://127.0.0.1:6443', 'other-token').load(), undefined, 'other credentials');
  clock += DISCOVERY_TTL_MS + 10_000; // past the TTL from the file's mtime too, which is a little after `clock`
  assert.equal(cache.load(), undefined, 'expired');
  clock = Date.now();
  const file = join(dir, 'pxevirt', 'discovery', readdirSync(join(dir, 'pxevirt', 'discovery'))[0] ?? '');
  writeFileSync(file, '{"server":"https://127.0.0.1:6443","resources":[{"kind":1}]}');
  assert.equal(cache.load(), undefined, 'corrupt');
});

test('names files by FNV-1a 64 of server and credentials (the published test vectors)', () => {
  assert.equal(fnv1a64(''), 'cbf29ce484222325');
  assert.equal(fnv1a64('a'), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64('foobar'), '85944171f73967e8');
});
