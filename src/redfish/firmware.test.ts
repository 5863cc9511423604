import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VM_KEY } from './service.ts';
import { firmwareOf } from './firmware.ts';
import { ADMIN, body, fakeMedia, messageId, settle, setup, vm } from './test-fixture.ts';

test('firmwareOf: BIOS without a bootloader, UEFI with efi, Secure Boot only when asked for explicitly', () => {
  assert.deepEqual(firmwareOf({ domain: {} }), { mode: 'Legacy', secureBoot: false, persistentVars: false, architecture: 'amd64' });
  assert.deepEqual(firmwareOf({ domain: { firmware: { bootloader: { efi: {} } } } }), { mode: 'UEFI', secureBoot: false, persistentVars: false, architecture: 'amd64' });
  assert.deepEqual(firmwareOf({ architecture: 'arm64', domain: { firmware: { bootloader: { efi: { secureBoot: true, persistent: true } } } } }), { mode: 'UEFI', secureBoot: true, persistentVars: true, architecture: 'arm64' });
  assert.equal(firmwareOf(undefined).mode, 'Legacy');
});

test('Bios: linked from the system, read-only attributes from the firmware; PATCH and POST are refused', (t) => {
  const { store, call } = setup(t);
  const efi = vm(store, 'efi', {}, { bootloader: { efi: { secureBoot: true } }, uuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' });
  const legacy = vm(store, 'legacy', {}, {});
  const system = body(call('GET', `/redfish/v1/Systems/${efi.metadata.uid}`, { auth: ADMIN }));
  assert.equal(system.Bios['@odata.id'], `/redfish/v1/Systems/${efi.metadata.uid}/Bios`);
  const b = body(call('GET', system.Bios['@odata.id'], { auth: ADMIN }));
  assert.deepEqual([b['@odata.id'], b['@odata.type'], b['@odata.context'], b.Id], [system.Bios['@odata.id'], '#Bios.v1_2_0.Bios', '/redfish/v1/$metadata#Bios.Bios', 'BIOS']);
  assert.deepEqual(b.Attributes, { BootMode: 'Uefi', SecureBoot: 'Enabled', PersistentEfiVariables: 'Disabled', Architecture: 'amd64', SystemUuid: '5d307ca9-b3ef-428c-8861-06e72d69f223' });
  assert.equal(body(call('GET', `/redfish/v1/Systems/${legacy.metadata.uid}/Bios`, { auth: ADMIN })).Attributes.BootMode, 'Bios');
  const before = store.get(VM_KEY, 'default', 'efi').metadata.resourceVersion;
  const patch = call('PATCH', system.Bios['@odata.id'], { auth: ADMIN, body: { Attributes: { BootMode: 'Bios' } } });
  assert.deepEqual([patch.status, messageId(patch)], [405, 'Base.1.15.OperationNotAllowed']);
  assert.equal(store.get(VM_KEY, 'default', 'efi').metadata.resourceVersion, before, 'the VM is unchanged');
  assert.equal(call('GET', `/redfish/v1/Systems/${efi.metadata.uid}/Bios/Settings`, { auth: ADMIN }).status, 404);
});

test('SecureBoot: reflects the firmware (the running VMI first); a PATCH may restate, not change it', (t) => {
  const { store, call } = setup(t);
  const secure = vm(store, 'secure', {}, { bootloader: { efi: { secureBoot: true } } });
  const plain = vm(store, 'plain');
  const legacy = vm(store, 'legacy', {}, {});
  const sb = (uid: string) => body(call('GET', `/redfish/v1/Systems/${uid}/SecureBoot`, { auth: ADMIN }));
  const fields = (r: Record<string, any>) => [r.SecureBootEnable, r.SecureBootCurrentBoot, r.SecureBootMode];
  assert.equal(body(call('GET', `/redfish/v1/Systems/${secure.metadata.uid}`, { auth: ADMIN })).SecureBoot['@odata.id'], `/redfish/v1/Systems/${secure.metadata.uid}/SecureBoot`);
  assert.equal(sb(secure.metadata.uid)['@odata.type'], '#SecureBoot.v1_1_0.SecureBoot');
  assert.deepEqual(fields(sb(secure.metadata.uid)), [true, null, 'UserMode'], 'off: no current boot');
  assert.deepEqual(fields(sb(plain.metadata.uid)), [false, null, 'SetupMode']);
  assert.deepEqual(fields(sb(legacy.metadata.uid)), [false, null, null]);
  // A running VMI booted without Secure Boot (the template changed since): the VMI is what the guest has.
  store.create({ group: 'kubevirt.io', resource: 'virtualmachineinstances' }, {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'secure', namespace: 'default' },
    spec: { domain: { firmware: { bootloader: { efi: { secureBoot: false } } }, devices: {} } },
    status: { phase: 'Running' },
  });
  assert.deepEqual(fields(sb(secure.metadata.uid)), [false, 'Disabled', 'SetupMode']);
  const before = store.get(VM_KEY, 'default', 'plain').metadata.resourceVersion;
  const path = `/redfish/v1/Systems/${plain.metadata.uid}/SecureBoot`;
  assert.equal(call('PATCH', path, { auth: ADMIN, body: { SecureBootEnable: false } }).status, 200, 'restating what is succeeds');
  const cases: Array<[unknown, string]> = [
    [{ SecureBootEnable: true }, 'PropertyNotWritable'],
    [{ SecureBootMode: 'DeployedMode' }, 'PropertyNotWritable'],
    [{ SecureBootEnable: 'yes' }, 'PropertyValueTypeError'],
    [{ SecureBootKeys: {} }, 'PropertyUnknown'],
    [[], 'MalformedJSON'],
    ['{', 'MalformedJSON'],
  ];
  for (const [b, id] of cases) {
    const r = call('PATCH', path, { auth: ADMIN, body: b });
    assert.deepEqual([r.status, messageId(r)], [400, `Base.1.15.${id}`], JSON.stringify(b));
  }
  assert.match(JSON.stringify(body(call('PATCH', path, { auth: ADMIN, body: { SecureBootEnable: true } }))), /SecureBootEnable: pxevirt reflects the VM's firmware .* it is false, the request asked for true/);
  assert.equal(store.get(VM_KEY, 'default', 'plain').metadata.resourceVersion, before, 'the VM is unchanged');
  assert.equal(call('POST', path, { auth: ADMIN, body: {} }).status, 405);
});

test('VirtualMedia under the System: the same CD as the Manager\'s, with the same actions', async (t) => {
  const media = fakeMedia();
  const { store, call, events } = setup(t, { media });
  const a = vm(store, 'node-a');
  const uid = a.metadata.uid;
  const system = body(call('GET', `/redfish/v1/Systems/${uid}`, { auth: ADMIN }));
  assert.equal(system.VirtualMedia['@odata.id'], `/redfish/v1/Systems/${uid}/VirtualMedia`);
  const members = body(call('GET', system.VirtualMedia['@odata.id'], { auth: ADMIN }));
  assert.deepEqual([members['@odata.id'], members.Members], [`/redfish/v1/Systems/${uid}/VirtualMedia`, [{ '@odata.id': `/redfish/v1/Systems/${uid}/VirtualMedia/Cd` }]]);
  const cd = body(call('GET', `/redfish/v1/Systems/${uid}/VirtualMedia/Cd`, { auth: ADMIN }));
  assert.equal(cd.Actions['#VirtualMedia.InsertMedia'].target, `/redfish/v1/Systems/${uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`);
  assert.equal((await settle(call('POST', cd.Actions['#VirtualMedia.InsertMedia'].target, { auth: ADMIN, body: { Image: 'https://10.0.0.1/a.iso' } }))).status, 204);
  const viaManager = body(call('GET', `/redfish/v1/Managers/${uid}/VirtualMedia/Cd`, { auth: ADMIN }));
  assert.deepEqual([viaManager.Inserted, viaManager.Image], [true, 'https://10.0.0.1/a.iso'], 'the Manager shows what was inserted through the System');
  assert.equal((await settle(call('POST', viaManager.Actions['#VirtualMedia.EjectMedia'].target, { auth: ADMIN }))).status, 204);
  assert.equal(body(call('GET', `/redfish/v1/Systems/${uid}/VirtualMedia/Cd`, { auth: ADMIN })).Inserted, false, 'and the System what was ejected through the Manager');
  assert.deepEqual(media.calls, [`insert ${uid} https://10.0.0.1/a.iso`, `eject ${uid}`]);
  assert.equal(events.filter((e) => e.startsWith('BMCVirtualMedia')).length, 2);
});
