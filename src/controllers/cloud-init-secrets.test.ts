import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Vmi } from '../resources/vmi-spec.ts';
import { CloudInitSecretError, resolveCloudInitSecrets } from './cloud-init-secrets.ts';

const vmi = (ci: Record<string, unknown>): Vmi =>
  ({ metadata: { name: 'v', namespace: 'ns1', uid: 'u' }, spec: { domain: { devices: {} }, volumes: [{ name: 'root', containerDisk: { image: 'x' } }, { name: 'ci', cloudInitNoCloud: ci }] } }) as unknown as Vmi;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const secrets: Record<string, Record<string, unknown>> = { 'ns1/user': { userdata: b64('#cloud-config\n') }, 'ns1/net': { networkData: b64('version: 2\n') }, 'ns1/empty': {} };
const lookup = (ns: string, name: string) => secrets[`${ns}/${name}`];

test('secretRef and networkDataSecretRef become the Secret\'s base64 data; nothing else changes', () => {
  const out = resolveCloudInitSecrets(vmi({ secretRef: { name: 'user' }, networkDataSecretRef: { name: 'net' } }), lookup);
  assert.deepEqual(out.spec.volumes?.[1]?.cloudInitNoCloud, { userDataBase64: b64('#cloud-config\n'), networkDataBase64: b64('version: 2\n') });
  assert.deepEqual(out.spec.volumes?.[0], { name: 'root', containerDisk: { image: 'x' } });
  const plain = vmi({ userData: 'x' });
  assert.equal(resolveCloudInitSecrets(plain, lookup), plain, 'no reference: the same object');
});

test('a missing Secret or key is an error naming the field and the Secret', () => {
  assert.throws(() => resolveCloudInitSecrets(vmi({ secretRef: { name: 'nope' } }), lookup), (e: unknown) => e instanceof CloudInitSecretError && e.message === 'spec.volumes[1].cloudInitNoCloud.secretRef: Secret ns1/nope not found');
  assert.throws(() => resolveCloudInitSecrets(vmi({ secretRef: { name: 'empty' } }), lookup), /Secret ns1\/empty has no userdata or userData key/);
});
