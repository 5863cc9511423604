import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatImageRef, InvalidImageRefError, InvalidMirrorError, manifestReference, parseImageRef, parseRegistryMirror, resolvePullSource } from './image-ref.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

test('a two-component name without a registry is on docker.io with tag latest', () => {
  assert.deepEqual(parseImageRef('kubevirt/fedora-cloud-container-disk-demo'), { registry: 'docker.io', repository: 'kubevirt/fedora-cloud-container-disk-demo', tag: 'latest' });
});

test('a single name on Docker Hub is under library/', () => {
  assert.deepEqual(parseImageRef('busybox:1.36'), { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' });
  assert.equal(formatImageRef(parseImageRef('busybox')), 'docker.io/library/busybox:latest');
});

test('a first component with a dot, a port or localhost is the registry', () => {
  assert.deepEqual(parseImageRef('quay.io/x/y:z'), { registry: 'quay.io', repository: 'x/y', tag: 'z' });
  assert.deepEqual(parseImageRef('127.0.0.1:5000/disk:v1'), { registry: '127.0.0.1:5000', repository: 'disk', tag: 'v1' });
  assert.deepEqual(parseImageRef('localhost/a/b'), { registry: 'localhost', repository: 'a/b', tag: 'latest' });
  assert.deepEqual(parseImageRef('docker.io/kubevirt/cirros'), { registry: 'docker.io', repository: 'kubevirt/cirros', tag: 'latest' });
  assert.deepEqual(parseImageRef('index.docker.io/alpine'), { registry: 'docker.io', repository: 'library/alpine', tag: 'latest' });
});

test('a digest is kept and asked for instead of the tag', () => {
  const ref = parseImageRef(`kubevirt/cirros:v1@${DIGEST}`);
  assert.deepEqual(ref, { registry: 'docker.io', repository: 'kubevirt/cirros', tag: 'v1', digest: DIGEST });
  assert.equal(manifestReference(ref), DIGEST);
  assert.equal(manifestReference(parseImageRef(`quay.io/x/y@${DIGEST}`)), DIGEST);
  assert.equal(formatImageRef(parseImageRef(`quay.io/x/y@${DIGEST}`)), `quay.io/x/y@${DIGEST}`);
});

test('malformed references are refused with the reason', () => {
  assert.throws(() => parseImageRef(''), InvalidImageRefError);
  assert.throws(() => parseImageRef('Kubevirt/Fedora'), /lower-case path components.*"Kubevirt"/);
  assert.throws(() => parseImageRef('x/y:bad tag'), InvalidImageRefError);
  assert.throws(() => parseImageRef('x/y@sha256:zz'), /expected a digest/);
});

test('a mirror for docker.io serves Docker Hub names at the mirror URL', () => {
  const mirrors = { 'docker.io': 'http://127.0.0.1:5000' };
  assert.deepEqual(resolvePullSource(parseImageRef('kubevirt/fedora-cloud-container-disk-demo'), mirrors), {
    baseUrl: 'http://127.0.0.1:5000',
    repository: 'kubevirt/fedora-cloud-container-disk-demo',
    mirrored: true,
  });
  assert.equal(resolvePullSource(parseImageRef('quay.io/x/y'), mirrors).baseUrl, 'https://quay.io');
});

test('a mirror with a path prefix puts it before the repository; no scheme means http on loopback', () => {
  assert.deepEqual(resolvePullSource(parseImageRef('quay.io/x/y'), { 'quay.io': 'https://mirror.example/quay/' }), { baseUrl: 'https://mirror.example', repository: 'quay/x/y', mirrored: true });
  assert.equal(resolvePullSource(parseImageRef('alpine'), { 'docker.io': '127.0.0.1:5000' }).baseUrl, 'http://127.0.0.1:5000');
  assert.throws(() => resolvePullSource(parseImageRef('alpine'), { 'docker.io': 'ftp://x' }), InvalidMirrorError);
});

test('without a mirror Docker Hub is registry-1.docker.io and a loopback registry is plain http', () => {
  assert.equal(resolvePullSource(parseImageRef('alpine')).baseUrl, 'https://registry-1.docker.io');
  assert.equal(resolvePullSource(parseImageRef('localhost:5000/a')).baseUrl, 'http://localhost:5000');
});

test('a --registry-mirror value is REGISTRY=URL', () => {
  assert.deepEqual(parseRegistryMirror('docker.io=http://127.0.0.1:5000'), { registry: 'docker.io', url: 'http://127.0.0.1:5000' });
  assert.throws(() => parseRegistryMirror('http://127.0.0.1:5000'), /expected REGISTRY=URL/);
  assert.throws(() => parseRegistryMirror('docker.io=ftp://x'), InvalidMirrorError);
});
