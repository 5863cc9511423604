import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fakeRegistry, sha } from './fake-registry.test-helper.ts';
import { DigestMismatchError, ManifestError, MEDIA, parseChallenge, pickPlatform, RegistryClient, RegistryError } from './registry-client.ts';

const BASE = 'http://reg.test';

function image(reg: ReturnType<typeof fakeRegistry>, repo: string, layer: Buffer) {
  const layerDigest = reg.blob(layer);
  const config = reg.blob('{"architecture":"amd64","os":"linux"}');
  const manifest = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config, size: 10 }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }] };
  return { layerDigest, manifest };
}

test('parses a Bearer challenge with quoted parameters', () => {
  assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull"'), {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:a/b:pull' },
  });
});

test('picks the linux/amd64 manifest from an index', () => {
  const list = [
    { mediaType: MEDIA.ociManifest, digest: 'sha256:a', size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    { mediaType: MEDIA.ociManifest, digest: 'sha256:b', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  ];
  assert.equal(pickPlatform(list, { os: 'linux', architecture: 'amd64' })?.digest, 'sha256:b');
  assert.equal(pickPlatform(list, { os: 'windows', architecture: 'amd64' }), undefined);
});

test('resolves an index to the platform manifest, through a Bearer token', async () => {
  const reg = fakeRegistry(BASE);
  const { layerDigest, manifest } = image(reg, 'kubevirt/disk', Buffer.from('layer'));
  const amd64 = reg.manifest('kubevirt/disk:amd64-only', manifest, MEDIA.ociManifest);
  reg.manifest('kubevirt/disk:latest', { schemaVersion: 2, mediaType: MEDIA.dockerList, manifests: [{ mediaType: MEDIA.ociManifest, digest: amd64, size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }, MEDIA.dockerList);
  reg.requireToken('t0k3n');
  const client = new RegistryClient({ baseUrl: BASE, repository: 'kubevirt/disk', image: 'kubevirt/disk', fetch: reg.fetch });
  const m = await client.manifest('latest');
  assert.equal(m.digest, amd64);
  assert.deepEqual(m.layers.map((l) => l.digest), [layerDigest]);
  const tokenUrl = new URL(reg.requests.find((u) => u.includes('/token'))!);
  assert.equal(tokenUrl.searchParams.get('scope'), 'repository:kubevirt/disk:pull');
  assert.equal(tokenUrl.searchParams.get('service'), 'reg.test');
});

test('an index without linux/amd64 is refused listing what it has', async () => {
  const reg = fakeRegistry(BASE);
  reg.manifest('x/y:latest', { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: 'sha256:00', size: 1, platform: { os: 'linux', architecture: 's390x' } }] }, MEDIA.ociIndex);
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch });
  await assert.rejects(client.manifest('latest'), (err: unknown) => err instanceof ManifestError && /expected a manifest for linux\/amd64 in the index, found linux\/s390x/.test(err.message));
});

test('a missing tag is a RegistryError with the image, URL and 404', async () => {
  const reg = fakeRegistry(BASE);
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y:nope', fetch: reg.fetch });
  await assert.rejects(client.manifest('nope'), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 404);
    assert.match(err.message, /^pulling x\/y:nope from http:\/\/reg\.test\/v2\/x\/y\/manifests\/nope: HTTP 404: manifest unknown/);
    return true;
  });
});

test('an unreachable registry is a RegistryError naming the URL', async () => {
  const client = new RegistryClient({ baseUrl: 'http://127.0.0.1:1', repository: 'x/y', image: 'x/y' });
  await assert.rejects(client.manifest('latest'), (err: unknown) => err instanceof RegistryError && err.status === undefined && err.message.includes('http://127.0.0.1:1/v2/x/y/manifests/latest'));
});

test('downloads a blob with progress, and refuses bytes that do not match the digest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-blob-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = fakeRegistry(BASE);
  const data = Buffer.alloc(200_000, 7);
  const digest = reg.blob(data);
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch });
  const progress: Array<{ bytes: number; total?: number }> = [];
  await client.downloadBlob(digest, join(dir, 'b'), { onProgress: (p) => progress.push(p) });
  assert.deepEqual(await readFile(join(dir, 'b')), data);
  assert.deepEqual(progress.at(-1), { bytes: 200_000, total: 200_000 });

  // A registry that answers a digest with other bytes.
  const liar = fakeRegistry(BASE);
  const wrong = liar.blob('other bytes');
  const claimed = sha('what was asked for');
  const lying = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: (url, init) => liar.fetch(url.replace(claimed, wrong), init) });
  await assert.rejects(lying.downloadBlob(claimed, join(dir, 'c')), DigestMismatchError);
  assert.deepEqual((await readdir(dir)).sort(), ['b'], 'no partial file is left');
});

test('an aborted download rejects and leaves no file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-blob-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = fakeRegistry(BASE);
  const digest = reg.blob(Buffer.alloc(100));
  const ac = new AbortController();
  ac.abort();
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch });
  await assert.rejects(client.downloadBlob(digest, join(dir, 'b'), { signal: ac.signal }), (err: unknown) => (err as Error).name === 'AbortError');
  assert.deepEqual(await readdir(dir), []);
});
