import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fakeRegistry, sha } from './fake-registry.test-helper.ts';
import { InvalidDescriptorError, PullLimitError } from './pull-limits.ts';
import { DigestMismatchError, ManifestError, MEDIA, parseChallenge, pickPlatform, RegistryClient, RegistryError, TokenRealmError } from './registry-client.ts';

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
  reg.manifest('x/y:latest', { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: `sha256:${'0'.repeat(64)}`, size: 1, platform: { os: 'linux', architecture: 's390x' } }] }, MEDIA.ociIndex);
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

test('a layer, config or index digest that is not sha256 hex is refused where the manifest is parsed', async () => {
  const reg = fakeRegistry(BASE);
  const { manifest } = image(reg, 'x/y', Buffer.from('layer'));
  const traversal = 'sha256:../../../../dev/disk/by-id';
  reg.manifest('x/y:layer', { ...manifest, layers: [{ ...manifest.layers[0], digest: traversal }] }, MEDIA.ociManifest);
  reg.manifest('x/y:config', { ...manifest, config: { ...manifest.config, digest: 'sha256:ABC' } }, MEDIA.ociManifest);
  reg.manifest('x/y:index', { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: 'sha256:../x', size: 1, platform: { os: 'linux', architecture: 'amd64' } }] }, MEDIA.ociIndex);
  reg.manifest('x/y:size', { ...manifest, layers: [{ ...manifest.layers[0], size: -1 }] }, MEDIA.ociManifest);
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch });
  const refused = (field: string, found: string) => (err: unknown) =>
    err instanceof InvalidDescriptorError && err.field === field && err.message.includes(`pulling x/y: ${field}: expected`) && err.found.includes(found);
  await assert.rejects(client.manifest('layer'), refused('manifest.layers[0].digest', traversal));
  await assert.rejects(client.manifest('config'), refused('manifest.config.digest', 'sha256:ABC'));
  await assert.rejects(client.manifest('index'), refused('index.manifests[0].digest', 'sha256:../x'));
  await assert.rejects(client.manifest('size'), refused('manifest.layers[0].size', '-1'));
  assert.ok(!reg.requests.some((u) => u.includes('/blobs/')), 'nothing downloaded');
});

test('a manifest over the cap is refused without reading it whole', async () => {
  const reg = fakeRegistry(BASE);
  const { manifest } = image(reg, 'x/y', Buffer.from('layer'));
  reg.manifest('x/y:big', { ...manifest, annotations: { pad: 'x'.repeat(10_000) } }, MEDIA.ociManifest);
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch, limits: { maxManifestBytes: 4096 } });
  await assert.rejects(client.manifest('big'), (err: unknown) => err instanceof PullLimitError && /pulling x\/y: manifest at .*: expected at most 4096 bytes, found \d+/.test(err.message));
});

test('a blob larger than its declared size is cut off at the size', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'pxevirt-reg-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const reg = fakeRegistry(BASE);
  const digest = reg.blob(Buffer.alloc(100_000, 7));
  const client = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: reg.fetch });
  await assert.rejects(client.downloadBlob(digest, join(dir, 'b'), { size: 1000 }), (err: unknown) => err instanceof PullLimitError && /blob sha256:[0-9a-f]{64}: expected at most 1000 bytes/.test(err.message));
  assert.deepEqual(await readdir(dir), [], 'nothing left behind');
});

test('a token realm on another origin is refused; an allowed one is used; a refusal is not echoed', async () => {
  const reg = fakeRegistry(BASE);
  const { manifest } = image(reg, 'x/y', Buffer.from('layer'));
  reg.manifest('x/y:latest', manifest, MEDIA.ociManifest);
  reg.requireToken('tok');
  // The registry's challenge names a realm elsewhere: rewrite it.
  const elsewhere = (realm: string) => async (url: string, init: RequestInit) => {
    const res = await reg.fetch(url.replace('http://auth.test', BASE), init);
    const challenge = res.headers.get('www-authenticate');
    if (challenge === null) return res;
    return new Response(null, { status: 401, headers: { 'www-authenticate': challenge.replace(`${BASE}/token`, realm) } });
  };
  const steal = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: elsewhere('http://169.254.169.254/latest/meta-data') });
  await assert.rejects(steal.manifest('latest'), (err: unknown) => err instanceof TokenRealmError && err.found === 'http://169.254.169.254' && err.message.includes('expected the token realm\'s origin to be one of http://reg.test'));
  assert.ok(!reg.requests.some((u) => u.includes('169.254')));
  const allowed = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: elsewhere('http://auth.test/token'), tokenRealms: ['http://auth.test'] });
  assert.equal((await allowed.manifest('latest')).layers.length, 1);

  const secret = async (url: string, init: RequestInit) =>
    new URL(url).pathname === '/token' ? new Response('SECRET-INTERNAL-DETAIL', { status: 403 }) : reg.fetch(url, init);
  const refused = new RegistryClient({ baseUrl: BASE, repository: 'x/y', image: 'x/y', fetch: secret });
  await assert.rejects(refused.manifest('latest'), (err: unknown) => err instanceof RegistryError && /token request refused/.test(err.message) && !err.message.includes('SECRET'));
});
