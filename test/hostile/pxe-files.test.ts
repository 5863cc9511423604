// Issue 13, played as the attacker: a token holder creates PXEServers whose root (or links in
// it) point at the data dir (token, CA key, database) or at /, to serve host files to every
// guest on the bridge. Each is refused at admission (through the real API handler and the
// daemon's mutating step) or, for links inside an allowed root, not served.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KINDS } from '../../src/resources/kinds.ts';
import { openTestStore } from '../../src/store/test-fixture.ts';
import { createApiHandler } from '../../src/api/handler.ts';
import { pxeRootMutator } from '../../src/daemon/pxe-roots.ts';
import { FileRefusedError, openConfined } from '../../src/pxe/files.ts';

const PXES = '/apis/pxe.pxevirt.io/v1alpha1/namespaces/default/pxeservers';

async function setup(t: TestContext, allowed: string[] = []) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pxevirt-hostile-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  await mkdir(join(dataDir, 'pxe', 'images'), { recursive: true });
  await writeFile(join(dataDir, 'token'), 'secret-token');
  await symlink('/', join(dataDir, 'pxe', 'slash')); // a root that is a link to /
  await symlink(dataDir, join(dataDir, 'pxe', 'data')); // … or to the data dir
  await symlink(join(dataDir, 'token'), join(dataDir, 'pxe', 'images', 'token')); // a link inside an allowed root
  await symlink(dataDir, join(dataDir, 'pxe', 'images', 'up')); // a directory link out
  const { store } = openTestStore(t);
  store.create({ group: '', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const handler = createApiHandler({ store, kinds: KINDS, token: 't', mutate: pxeRootMutator({ dataDir, allowed, ipxeDir: '/usr/lib/ipxe' }) });
  const create = (name: string, spec: Record<string, unknown>) =>
    handler({
      method: 'POST',
      path: PXES,
      query: new URLSearchParams(),
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ apiVersion: 'pxe.pxevirt.io/v1alpha1', kind: 'PXEServer', metadata: { name }, spec: { network: 'pxe-net-conf', address: '192.168.77.1/24', dhcp: { mode: 'off' }, ...spec } })),
      signal: new AbortController().signal,
    });
  return { dataDir, create };
}

const text = (r: { body?: unknown }) => (typeof r.body === 'string' ? r.body : Buffer.isBuffer(r.body) ? r.body.toString() : JSON.stringify(r.body));

test('roots at /, the data dir, outside the allowed roots or behind a link out are refused at admission, naming spec.root, the allowed roots and the value', async (t) => {
  const { dataDir, create } = await setup(t);
  for (const [name, root] of [['slash', '/'], ['datadir', dataDir], ['etc', '/etc'], ['linked-slash', 'slash'], ['linked-data', 'data'], ['linked-abs', join(dataDir, 'pxe', 'slash')]] as const) {
    const r = await create(name, { root });
    assert.equal(r.status, 422, `${name}: ${text(r)}`);
    const body = text(r);
    assert.match(body, /spec\.root/, name);
    assert.ok(body.includes(join(dataDir, 'pxe')), `${name}: names the allowed roots: ${body}`);
    assert.ok(body.includes(JSON.stringify(root).slice(1, -1)), `${name}: names the value: ${body}`);
  }
});

test('ipxeDir is the node\'s setting: a spec pointing it elsewhere is refused', async (t) => {
  const { create } = await setup(t);
  const r = await create('ipxe', { root: 'images', ipxeDir: '/' });
  assert.equal(r.status, 422);
  assert.match(text(r), /spec\.ipxeDir.*daemon's pxeIpxeDir/);
});

test('roots inside <data-dir>/pxe or an allowed root are accepted; links in them leading out are not served', async (t) => {
  const extra = await mkdtemp(join(tmpdir(), 'pxevirt-allowed-'));
  t.after(() => rm(extra, { recursive: true, force: true }));
  const { dataDir, create } = await setup(t, [extra]);
  assert.equal((await create('relative', { root: 'images' })).status, 201);
  assert.equal((await create('absolute', { root: join(dataDir, 'pxe', 'images') })).status, 201);
  assert.equal((await create('allowed', { root: extra })).status, 201);
  const roots = { root: join(dataDir, 'pxe', 'images'), ipxeDir: '/usr/lib/ipxe' };
  for (const path of ['token', 'up/token', '../../token']) {
    await assert.rejects(openConfined(roots, path), (err: unknown) => err instanceof FileRefusedError, path);
  }
});
