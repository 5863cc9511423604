import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloudInitSourceError, noCloudFiles, renderMetaData } from './cloud-init.ts';

const meta = { instanceId: '5f2c6c07-2b0b-5c64-a3a5-54c83f3f0d1e', hostname: 'vm1' };

test('meta-data is JSON with instance-id and local-hostname', () => {
  assert.deepEqual(JSON.parse(renderMetaData(meta)), { 'instance-id': meta.instanceId, 'local-hostname': 'vm1' });
});

test('user-data comes from userData, or decoded from userDataBase64', () => {
  assert.equal(noCloudFiles('ci', { userData: '#cloud-config\n' }, meta).userData, '#cloud-config\n');
  const b64 = Buffer.from('#cloud-config\npassword: x\n').toString('base64');
  assert.equal(noCloudFiles('ci', { userDataBase64: b64 }, meta).userData, '#cloud-config\npassword: x\n');
});

test('network-config only when network data is given', () => {
  assert.equal(noCloudFiles('ci', { userData: 'x' }, meta).networkData, undefined);
  assert.equal(noCloudFiles('ci', { userData: 'x', networkData: 'version: 2\n' }, meta).networkData, 'version: 2\n');
  assert.equal(noCloudFiles('ci', { networkDataBase64: Buffer.from('version: 1\n').toString('base64') }, meta).networkData, 'version: 1\n');
});

test('a Secret reference and bad base64 are refused naming the volume and field', () => {
  assert.throws(() => noCloudFiles('ci', { secretRef: { name: 's' } }, meta), (err: unknown) => err instanceof CloudInitSourceError && /volume ci: cloudInitNoCloud.secretRef/.test(err.message));
  assert.throws(() => noCloudFiles('ci', { userDataBase64: '%%%' }, meta), /cloudInitNoCloud.userDataBase64: expected base64/);
});
