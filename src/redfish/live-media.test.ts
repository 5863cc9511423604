import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';
import { resetStep } from './power.ts';
import type { MediaStore } from './virtual-media.ts';
import { ADMIN, body, fakeMedia, settle, setup, vm } from './test-fixture.ts';

const VMI_KEY = { group: 'kubevirt.io', resource: 'virtualmachineinstances' };
type Live = NonNullable<MediaStore['live']>;

/** A VM and its Running VMI (the VMI carries the media copy it started with, if any). */
function running(t: import('node:test').TestContext, live: Live, vmAnnotations: Record<string, string> = {}, vmiMedia?: string) {
  const media = { ...fakeMedia(), live };
  const fx = setup(t, { media });
  const a = vm(fx.store, 'node-a', vmAnnotations);
  const vmi = fx.store.create(VMI_KEY, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'node-a', namespace: 'default', ...(vmiMedia ? { annotations: { [VIRTUAL_MEDIA_ANNOTATION]: vmiMedia } } : {}) },
    spec: { domain: { devices: {} } },
    status: { phase: 'Running' },
  });
  const cd = `/redfish/v1/Systems/${a.metadata.uid}/VirtualMedia/Cd`;
  const vmiMediaNow = () => fx.store.get(VMI_KEY, 'default', 'node-a').metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION];
  return { ...fx, a, vmiUid: vmi.metadata.uid, media, cd, vmiMediaNow };
}

test('a running guest with the drive: InsertMedia and EjectMedia reach it at once (204), the VMI says what it holds, Status.State Enabled', async (t) => {
  const calls: string[] = [];
  const { a, vmiUid, cd, call, vmiMediaNow, events, store } = running(t, async (vmi, vmUid, inserted) => (calls.push(`${vmi} ${vmUid} ${inserted}`), 'live'), { [VIRTUAL_MEDIA_ANNOTATION]: '{}' }, JSON.stringify({ vmUid: 'x' }));
  const uid = a.metadata.uid;
  const r = await settle(call('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, body: { Image: 'http://10.0.0.1/a.iso' } }));
  assert.equal(r.status, 204);
  assert.deepEqual(calls, [`${vmiUid} ${uid} true`]);
  assert.deepEqual(JSON.parse(vmiMediaNow() ?? ''), { image: 'http://10.0.0.1/a.iso', vmUid: uid });
  const shown = body(call('GET', cd, { auth: ADMIN }));
  assert.deepEqual([shown.Inserted, shown.Status.State], [true, 'Enabled']);
  const vmNow = store.get({ group: 'kubevirt.io', resource: 'virtualmachines' }, 'default', 'node-a');
  assert.equal(resetStep('ForceRestart', vmNow, store.get(VMI_KEY, 'default', 'node-a')).kind, 'guest', 'nothing pending: a reset stays a guest reset');
  assert.equal((await settle(call('POST', `${cd}/Actions/VirtualMedia.EjectMedia`, { auth: ADMIN }))).status, 204);
  assert.deepEqual(calls, [`${vmiUid} ${uid} true`, `${vmiUid} ${uid} false`]);
  assert.deepEqual(JSON.parse(vmiMediaNow() ?? ''), { vmUid: uid });
  assert.deepEqual([body(call('GET', cd, { auth: ADMIN })).Inserted, body(call('GET', cd, { auth: ADMIN })).Status.State], [false, 'Disabled']);
  assert.match(events.join('\n'), /InsertMedia by admin: inserted http:\/\/10\.0\.0\.1\/a\.iso \(2048 bytes\); the running guest has the change now/);
});

test('a running guest without the drive: 200 with Base ResetRequired, Inserted but StandbyOffline, and a reset restarts the VMI', async (t) => {
  const { a, cd, call, vmiMediaNow, store } = running(t, async () => 'next-boot');
  const r = await settle(call('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, body: { Image: 'http://10.0.0.1/a.iso' } }));
  assert.equal(r.status, 200);
  const info = body(r)['@Message.ExtendedInfo'][0];
  assert.equal(info.MessageId, 'Base.1.15.ResetRequired');
  assert.deepEqual(info.MessageArgs, [`/redfish/v1/Systems/${a.metadata.uid}/Actions/ComputerSystem.Reset`, 'ForceRestart']);
  assert.match(info.Message, /no virtual CD drive/);
  assert.equal(vmiMediaNow(), undefined, 'the VMI still says what its guest has: nothing');
  const shown = body(call('GET', cd, { auth: ADMIN }));
  assert.deepEqual([shown.Inserted, shown.Image, shown.Status.State], [true, 'http://10.0.0.1/a.iso', 'StandbyOffline']);
  const vmNow = store.get({ group: 'kubevirt.io', resource: 'virtualmachines' }, 'default', 'node-a');
  assert.deepEqual(resetStep('ForceRestart', vmNow, store.get(VMI_KEY, 'default', 'node-a')), { kind: 'vm', action: 'restart', graceSeconds: 0 });
});

test('a live change that QEMU refuses: the BMC keeps the image for the next power-on and says why', async (t) => {
  const { cd, call, vmiMediaNow } = running(t, async () => {
    throw new Error('QMP blockdev-change-medium: Could not open the file');
  });
  const r = await settle(call('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, body: { Image: 'http://10.0.0.1/a.iso' } }));
  assert.equal(r.status, 200);
  assert.match(body(r)['@Message.ExtendedInfo'][0].Message, /could not be changed: QMP blockdev-change-medium: Could not open the file/);
  assert.equal(vmiMediaNow(), undefined);
  assert.equal(body(call('GET', cd, { auth: ADMIN })).Inserted, true);
});

test('EjectMedia of a VM that never had media leaves it without a drive; a halted VM is not asked to change live', async (t) => {
  const media = { ...fakeMedia(), live: async () => assert.fail('no running guest to change') as never };
  const { store, call } = setup(t, { media });
  const a = vm(store, 'node-a');
  const cd = `/redfish/v1/Systems/${a.metadata.uid}/VirtualMedia/Cd`;
  assert.equal((await settle(call('POST', `${cd}/Actions/VirtualMedia.EjectMedia`, { auth: ADMIN }))).status, 204);
  assert.equal(store.get({ group: 'kubevirt.io', resource: 'virtualmachines' }, 'default', 'node-a').metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION], undefined);
  assert.equal((await settle(call('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, body: { Image: 'http://10.0.0.1/a.iso' } }))).status, 204);
  assert.equal(body(call('GET', cd, { auth: ADMIN })).Status.State, 'StandbyOffline', 'inserted, the guest gets it at power-on');
});
