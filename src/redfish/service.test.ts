import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOOT_OVERRIDE_ANNOTATION } from '../resources/boot-override.ts';
import { CREDENTIALS_ANNOTATION } from './auth.ts';
import { VM_KEY } from './service.ts';
import { VIRTUAL_MEDIA_ANNOTATION } from '../resources/virtual-media.ts';
import { ADMIN, basic, body, fakeMedia, messageId, settle, setup, TOKEN, vm } from './test-fixture.ts';

test('the service root is anonymous; everything else needs credentials (401 NoValidSession)', (t) => {
  const { call } = setup(t);
  const root = call('GET', '/redfish/v1/');
  assert.equal(root.status, 200);
  assert.equal(body(root)['@odata.id'], '/redfish/v1/');
  assert.equal(body(root)['@odata.type'], '#ServiceRoot.v1_15_0.ServiceRoot');
  const denied = call('GET', '/redfish/v1/Systems');
  assert.equal(denied.status, 401);
  assert.equal(messageId(denied), 'Base.1.15.NoValidSession');
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: basic('admin', 'wrong') }).status, 401);
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN }).status, 200);
});

test('a system per VM: Id the uid, Name the VM name, namespace/name shown, MACs, allowable values', (t) => {
  const { store, call } = setup(t);
  const a = vm(store, 'node-a');
  const list = body(call('GET', '/redfish/v1/Systems', { auth: ADMIN }));
  assert.deepEqual(list.Members, [{ '@odata.id': `/redfish/v1/Systems/${a.metadata.uid}` }]);
  const sys = body(call('GET', `/redfish/v1/Systems/${a.metadata.uid}`, { auth: ADMIN }));
  assert.equal(sys.Id, a.metadata.uid);
  assert.equal(sys.Name, 'node-a');
  assert.equal(sys.Description, 'VirtualMachine default/node-a');
  assert.equal(sys.PowerState, 'Off');
  assert.equal(sys.MemorySummary.TotalSystemMemoryGiB, 0.5);
  assert.deepEqual(sys.Boot['BootSourceOverrideTarget@Redfish.AllowableValues'], ['None', 'Pxe', 'Hdd', 'Cd', 'UefiHttp']);
  assert.ok(sys.Actions['#ComputerSystem.Reset']['ResetType@Redfish.AllowableValues'].includes('GracefulShutdown'));
  const nic = body(call('GET', `/redfish/v1/Systems/${a.metadata.uid}/EthernetInterfaces/pxe`, { auth: ADMIN }));
  assert.equal(nic.MACAddress, '02:00:00:aa:00:01');
  const missing = call('GET', '/redfish/v1/Systems/nope', { auth: ADMIN });
  assert.deepEqual([missing.status, messageId(missing)], [404, 'Base.1.15.ResourceNotFound']);
});

test('per-VM credentials from the Secret the VM names reach that system only', (t) => {
  const { store, call } = setup(t);
  store.create({ group: '', resource: 'secrets' }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bmc-a', namespace: 'default' }, data: { username: Buffer.from('ironic').toString('base64'), password: Buffer.from('s3cret').toString('base64') } });
  const a = vm(store, 'node-a', { [CREDENTIALS_ANNOTATION]: 'bmc-a' });
  const b = vm(store, 'node-b');
  const auth = basic('ironic', 's3cret');
  assert.deepEqual(body(call('GET', '/redfish/v1/Systems', { auth })).Members, [{ '@odata.id': `/redfish/v1/Systems/${a.metadata.uid}` }]);
  assert.equal(call('GET', `/redfish/v1/Systems/${b.metadata.uid}`, { auth }).status, 404);
  assert.equal(call('GET', `/redfish/v1/Managers/${a.metadata.uid}`, { auth }).status, 200);
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: basic('ironic', 'wrong') }).status, 401);
});

test('sessions: POST gives an X-Auth-Token that works until the session is deleted', (t) => {
  const { call } = setup(t);
  assert.equal(call('POST', '/redfish/v1/SessionService/Sessions', { body: { UserName: 'admin', Password: 'bad' } }).status, 401);
  const created = call('POST', '/redfish/v1/SessionService/Sessions', { body: { UserName: 'admin', Password: TOKEN } });
  assert.equal(created.status, 201);
  const token = created.headers['x-auth-token'] as string;
  const location = created.headers.location as string;
  assert.equal(call('GET', '/redfish/v1/Systems', { token }).status, 200);
  assert.equal(call('DELETE', location, { token }).status, 204);
  assert.equal(call('GET', '/redfish/v1/Systems', { token }).status, 401);
});

test('bad input gets Base registry errors and changes nothing', (t) => {
  const { store, call, events } = setup(t);
  const a = vm(store, 'node-a');
  const before = store.get(VM_KEY, 'default', 'node-a').metadata.resourceVersion;
  const reset = `/redfish/v1/Systems/${a.metadata.uid}/Actions/ComputerSystem.Reset`;
  const badType = call('POST', reset, { auth: ADMIN, body: { ResetType: 'Explode' } });
  assert.deepEqual([badType.status, messageId(badType)], [400, 'Base.1.15.ActionParameterValueNotInList']);
  assert.deepEqual(body(badType).error['@Message.ExtendedInfo'][0].MessageArgs, ['Explode', 'ResetType', 'ComputerSystem.Reset']);
  assert.equal(messageId(call('POST', reset, { auth: ADMIN, body: {} })), 'Base.1.15.ActionParameterMissing');
  assert.equal(messageId(call('POST', reset, { auth: ADMIN, body: '{not json' })), 'Base.1.15.MalformedJSON');
  const sys = `/redfish/v1/Systems/${a.metadata.uid}`;
  const badTarget = call('PATCH', sys, { auth: ADMIN, body: { Boot: { BootSourceOverrideTarget: 'Floppy', BootSourceOverrideEnabled: 'Once' } } });
  assert.deepEqual([badTarget.status, messageId(badTarget)], [400, 'Base.1.15.PropertyValueNotInList']);
  assert.equal(messageId(call('PATCH', sys, { auth: ADMIN, body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'Legacy' } } })), 'Base.1.15.PropertyValueNotInList');
  assert.equal(messageId(call('PATCH', sys, { auth: ADMIN, body: { PowerState: 'On' } })), 'Base.1.15.PropertyNotWritable');
  assert.equal(messageId(call('DELETE', sys, { auth: ADMIN })), 'Base.1.15.OperationNotAllowed');
  assert.equal(store.get(VM_KEY, 'default', 'node-a').metadata.resourceVersion, before, 'the VM is unchanged');
  assert.deepEqual(events, []);
});

test('boot override Pxe/Once goes to the VM annotation; power On starts the VM; both are Events', (t) => {
  const { store, call, events } = setup(t);
  const a = vm(store, 'node-a');
  const sys = `/redfish/v1/Systems/${a.metadata.uid}`;
  const patched = call('PATCH', sys, { auth: ADMIN, body: { Boot: { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' } } });
  assert.equal(patched.status, 200);
  assert.deepEqual([body(patched).Boot.BootSourceOverrideTarget, body(patched).Boot.BootSourceOverrideEnabled], ['Pxe', 'Once']);
  const stored = store.get(VM_KEY, 'default', 'node-a');
  assert.deepEqual(JSON.parse(stored.metadata.annotations?.[BOOT_OVERRIDE_ANNOTATION] ?? ''), { target: 'Pxe', enabled: 'Once', mode: 'UEFI' });
  assert.equal((stored.spec as { template: { spec: { domain: { devices: { disks: Array<{ bootOrder?: number }> } } } } }).template.spec.domain.devices.disks[0]?.bootOrder, 1, 'the spec bootOrder is untouched');
  assert.equal(call('POST', `${sys}/Actions/ComputerSystem.Reset`, { auth: ADMIN, body: { ResetType: 'On' } }).status, 204);
  assert.equal((store.get(VM_KEY, 'default', 'node-a').spec as { runStrategy?: string }).runStrategy, 'Always');
  assert.equal(body(call('GET', sys, { auth: ADMIN })).PowerState, 'PoweringOn');
  const off = call('POST', `${sys}/Actions/ComputerSystem.Reset`, { auth: ADMIN, body: { ResetType: 'Nmi' } });
  assert.deepEqual([off.status, messageId(off)], [409, 'Base.1.15.GeneralError']);
  assert.deepEqual(events, ['BMCBootOverride: Redfish boot override set by admin: Pxe Once (UEFI)', 'BMCReset: Redfish ComputerSystem.Reset On by admin: VirtualMachine start']);
});

test('failed logins from one address are refused with 429 after five, until the block ends; others are not', (t) => {
  let now = 1_000_000;
  const { call } = setup(t, { now: () => now });
  const wrong = { auth: basic('admin', 'guess'), from: '10.0.0.9' };
  for (let i = 0; i < 5; i++) assert.equal(call('GET', '/redfish/v1/Systems', wrong).status, 401);
  const blocked = call('POST', '/redfish/v1/SessionService/Sessions', { body: { UserName: 'admin', Password: TOKEN }, from: '10.0.0.9' });
  assert.deepEqual([blocked.status, messageId(blocked), blocked.headers['retry-after']], [429, 'Base.1.15.ServiceTemporarilyUnavailable', '30']);
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN, from: '10.0.0.9' }).status, 429, 'even the right password waits');
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN, from: '10.0.0.10' }).status, 200, 'another address is not blocked');
  now += 30_000;
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN, from: '10.0.0.9' }).status, 200, 'after the block the right password works');
  assert.equal(call('GET', '/redfish/v1/Systems', wrong).status, 401);
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN, from: '10.0.0.9' }).status, 429, 'a success does not clear the count: one more failure inside the window blocks again');
  now += 60_000;
  assert.equal(call('GET', '/redfish/v1/Systems', wrong).status, 401, 'a new window: counted afresh');
  assert.equal(call('GET', '/redfish/v1/Systems', { auth: ADMIN, from: '10.0.0.9' }).status, 200);
});

test('virtual media: InsertMedia downloads, sets the VM annotation (not the spec), shows Inserted; EjectMedia empties it', async (t) => {
  const media = fakeMedia();
  const { store, call, events } = setup(t, { media });
  const a = vm(store, 'node-a');
  const uid = a.metadata.uid;
  const mgr = body(call('GET', `/redfish/v1/Managers/${uid}`, { auth: ADMIN }));
  assert.equal(mgr.VirtualMedia['@odata.id'], `/redfish/v1/Managers/${uid}/VirtualMedia`);
  assert.deepEqual(body(call('GET', mgr.VirtualMedia['@odata.id'], { auth: ADMIN })).Members, [{ '@odata.id': `/redfish/v1/Managers/${uid}/VirtualMedia/Cd` }]);
  const cd = `/redfish/v1/Managers/${uid}/VirtualMedia/Cd`;
  const empty = body(call('GET', cd, { auth: ADMIN }));
  assert.deepEqual([empty.Inserted, empty.Image, empty.ConnectedVia, empty['@odata.type']], [false, null, 'NotConnected', '#VirtualMedia.v1_6_0.VirtualMedia']);
  const inserted = await settle(call('POST', empty.Actions['#VirtualMedia.InsertMedia'].target, { auth: ADMIN, body: { Image: 'http://10.0.0.1/boot%20me.iso', TransferProtocolType: 'HTTP' } }));
  assert.equal(inserted.status, 204);
  const shown = body(call('GET', cd, { auth: ADMIN }));
  assert.deepEqual([shown.Inserted, shown.Image, shown.ImageName, shown.ConnectedVia], [true, 'http://10.0.0.1/boot%20me.iso', 'boot me.iso', 'URI']);
  const stored = store.get(VM_KEY, 'default', 'node-a');
  assert.deepEqual(JSON.parse(stored.metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION] ?? ''), { image: 'http://10.0.0.1/boot%20me.iso' });
  assert.deepEqual(stored.spec, a.spec, 'the spec is untouched');
  assert.equal((await settle(call('POST', empty.Actions['#VirtualMedia.EjectMedia'].target, { auth: ADMIN }))).status, 204);
  assert.equal(body(call('GET', cd, { auth: ADMIN })).Inserted, false);
  assert.equal(store.get(VM_KEY, 'default', 'node-a').metadata.annotations?.[VIRTUAL_MEDIA_ANNOTATION], '{}', 'ejected: no image, the (empty) drive stays for the next start');
  assert.deepEqual(media.calls, [`insert ${uid} http://10.0.0.1/boot%20me.iso`, `eject ${uid}`]);
  assert.match(events.join('\n'), /BMCVirtualMedia: Redfish InsertMedia by admin: inserted http:\/\/10\.0\.0\.1\/boot%20me\.iso \(2048 bytes\)/);
});

test('virtual media: a bad media URL gets Base registry errors and changes nothing', async (t) => {
  const media = fakeMedia();
  const { store, call } = setup(t, { media });
  const a = vm(store, 'node-a');
  const insert = `/redfish/v1/Managers/${a.metadata.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;
  const before = store.get(VM_KEY, 'default', 'node-a').metadata.resourceVersion;
  const cases: Array<[unknown, number, string]> = [
    [{}, 400, 'ActionParameterMissing'],
    [{ Image: 'file:///etc/shadow' }, 400, 'ActionParameterValueFormatError'],
    [{ Image: 'nfs://10.0.0.1/x.iso' }, 400, 'ActionParameterValueFormatError'],
    [{ Image: 42 }, 400, 'ActionParameterValueFormatError'],
    [{ Image: 'http://10.0.0.1/a.iso', TransferProtocolType: 'NFS' }, 400, 'ActionParameterValueNotInList'],
    [{ Image: 'http://10.0.0.1/a.iso', WriteProtected: false }, 400, 'ActionParameterValueNotInList'],
    [{ Image: 'http://10.0.0.1/missing.iso' }, 400, 'CouldNotEstablishConnection'],
    [{ Image: 'http://10.0.0.1/text.iso' }, 400, 'ResourceAtUriInUnknownFormat'],
  ];
  for (const [b, status, id] of cases) {
    const r = await settle(call('POST', insert, { auth: ADMIN, body: b }));
    assert.deepEqual([r.status, messageId(r)], [status, `Base.1.15.${id}`], JSON.stringify(b));
  }
  assert.deepEqual(media.calls, ['insert', 'insert'].map((w, i) => `${w} ${a.metadata.uid} http://10.0.0.1/${i === 0 ? 'missing' : 'text'}.iso`), 'only well-formed URLs were fetched');
  assert.equal(store.get(VM_KEY, 'default', 'node-a').metadata.resourceVersion, before, 'the VM is unchanged');
  assert.equal(messageId(call('POST', `/redfish/v1/Managers/${a.metadata.uid}/VirtualMedia/Floppy/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, body: {} })), 'Base.1.15.ResourceNotFound');
  assert.equal(messageId(call('GET', insert, { auth: ADMIN })), 'Base.1.15.OperationNotAllowed');
});
