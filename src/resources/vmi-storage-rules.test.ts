import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from './causes.ts';
import { validateVmi } from './vmi-validate.ts';
import { setPath, validVmi } from '../../test/helpers/kubevirt-fixtures.ts';
import { assertCause } from '../../test/helpers/causes.ts';

type Obj = Record<string, unknown>;
const causesOf = (edit: (vmi: Obj) => void): Cause[] => {
  const vmi = validVmi();
  edit(vmi);
  return validateVmi(vmi, { operation: 'CREATE' });
};
const DISKS = 'spec.domain.devices.disks';

test('a disk boot order below 1', () => {
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0].bootOrder`, 0)), `${DISKS}[0].bootOrder`, `${DISKS}[0] must have a boot order > 0, if supplied`);
});

test('an interface boot order below 1', () => {
  const at = 'spec.domain.devices.interfaces[1]';
  assertCause(causesOf((v) => setPath(v, `${at}.bootOrder`, 0)), `${at}.bootOrder`, `${at} must have a boot order > 0, if supplied`);
});

test('the same boot order on a disk and an interface', () => {
  const at = 'spec.domain.devices.interfaces[1].bootOrder';
  assertCause(causesOf((v) => setPath(v, at, 2)), at, `Boot order for ${at} already set for a different device.`);
});

test('the same boot order on two disks', () => {
  const causes = causesOf((v) => {
    setPath(v, `${DISKS}[1]`, { name: 'data', disk: {}, bootOrder: 2 });
    setPath(v, 'spec.volumes[1]', { name: 'data', emptyDisk: { capacity: '1Gi' } });
  });
  assertCause(causes, `${DISKS}[1].bootOrder`, `Boot order for ${DISKS}[1].bootOrder already set for a different device.`);
});

test('the IDE bus is refused; unknown buses name the allowed ones', () => {
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0].disk.bus`, 'ide')), `${DISKS}[0].disk.bus`, 'IDE bus is not supported');
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0].disk.bus`, 'floppy')), `${DISKS}[0].disk.bus`, `${DISKS}[0] is set with an unrecognized bus floppy, must be one of: [virtio scsi sata usb]`);
});

test('virtio CD-ROMs and read-only sata disks are refused', () => {
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0]`, { name: 'root', cdrom: { bus: 'virtio' } })), `${DISKS}[0].cdrom.bus`, 'Bus type virtio is invalid for CD-ROM device');
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0].disk`, { bus: 'sata', readonly: true })), `${DISKS}[0].disk.bus`, 'sata hard-disks do not support read-only.');
});

test('a disk with two targets', () => {
  assertCause(causesOf((v) => setPath(v, `${DISKS}[0].cdrom`, {})), `${DISKS}[0]`, `${DISKS}[0] can only have a single target type defined`);
});

test('duplicate disk names', () => {
  const causes = causesOf((v) => setPath(v, `${DISKS}[1]`, { name: 'root', disk: {} }));
  assertCause(causes, `${DISKS}[1].name`, `${DISKS}[1] and ${DISKS}[0] must not have the same Name.`);
});

test('a disk name that is not a DNS-1123 label', () => {
  const causes = causesOf((v) => {
    setPath(v, `${DISKS}[0].name`, 'Root_Disk');
    setPath(v, 'spec.volumes[0].name', 'Root_Disk');
  });
  assertCause(causes, `${DISKS}[0].name`, /^a lowercase RFC 1123 label must consist of/);
});

test('a disk without a volume', () => {
  const causes = causesOf((v) => setPath(v, `${DISKS}[1]`, { name: 'orphan', disk: {} }));
  assertCause(causes, `${DISKS}[1].name`, `${DISKS}[1].Name 'orphan' not found.`);
});

test('a volume without a disk', () => {
  const causes = causesOf((v) => setPath(v, 'spec.volumes[1]', { name: 'spare', emptyDisk: { capacity: '1Gi' } }));
  assertCause(causes, 'spec.volumes[1].name', "spec.volumes[1].name 'spare' not found.");
});

test('duplicate volume names', () => {
  const causes = causesOf((v) => setPath(v, 'spec.volumes[1]', { name: 'root', emptyDisk: { capacity: '1Gi' } }));
  assertCause(causes, 'spec.volumes[1].name', 'spec.volumes[1] and spec.volumes[0] must not have the same Name.');
});

test('a volume with no source, and one with two', () => {
  assertCause(causesOf((v) => setPath(v, 'spec.volumes[0]', { name: 'root' })), 'spec.volumes[0]', 'spec.volumes[0] must have exactly one source type set');
  const two = causesOf((v) => setPath(v, 'spec.volumes[0].emptyDisk', { capacity: '1Gi' }));
  assertCause(two, 'spec.volumes[0]', 'spec.volumes[0] must have exactly one source type set');
});

test('volume types pxevirt does not implement are refused by name', () => {
  for (const type of ['hostDisk', 'sysprep', 'serviceAccount', 'ephemeral']) {
    const causes = causesOf((v) => setPath(v, 'spec.volumes[0]', { name: 'root', [type]: {} }));
    assertCause(causes, `spec.volumes[0].${type}`, new RegExp(`volume type ${type} is not supported by pxevirt; supported types are containerDisk, cloudInitNoCloud`));
  }
});

test('configMap and secret volumes are accepted when named, with a label that fits an ISO 9660 volume id', () => {
  const withVolume = (volume: Record<string, unknown>) => causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'cfg', ...volume });
    setPath(v, `${DISKS}[1]`, { name: 'cfg', disk: { bus: 'virtio' } });
  });
  assert.deepEqual(withVolume({ configMap: { name: 'app', volumeLabel: 'OEMDRV' } }), []);
  assert.deepEqual(withVolume({ secret: { secretName: 'keys', optional: true } }), []);
  assertCause(withVolume({ configMap: {} }), 'spec.volumes[1].configMap.name', 'spec.volumes[1].configMap.name: Required value: expected the name of a ConfigMap, found null');
  assertCause(withVolume({ secret: { secretName: '' } }), 'spec.volumes[1].secret.secretName', 'spec.volumes[1].secret.secretName: Required value: expected the name of a Secret, found ""');
  assertCause(withVolume({ configMap: { name: 'app', volumeLabel: 'L'.repeat(33) } }), 'spec.volumes[1].configMap.volumeLabel', new RegExp(`expected at most 32 printable ASCII characters \\(an ISO 9660 volume id\\), found "L{33}"`));
});

test('cloud-init inline userData over 2048 bytes', () => {
  const causes = causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: { userData: 'x'.repeat(2049) } });
    setPath(v, `${DISKS}[1]`, { name: 'ci', disk: {} });
  });
  assertCause(causes, 'spec.volumes[1].cloudInitNoCloud', 'spec.volumes[1].cloudInitNoCloud userdata exceeds 2048 byte limit. Should use UserDataSecretRef for larger data.');
});

test('cloud-init networkData over 2048 bytes (base64 counts decoded bytes)', () => {
  const big = Buffer.alloc(2049, 'a').toString('base64');
  const causes = causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: { userData: '#cloud-config', networkDataBase64: big } });
    setPath(v, `${DISKS}[1]`, { name: 'ci', disk: {} });
  });
  assertCause(causes, 'spec.volumes[1].cloudInitNoCloud', 'spec.volumes[1].cloudInitNoCloud networkdata exceeds 2048 byte limit. Should use NetworkDataSecretRef for larger data.');
});

test('cloud-init with exactly 2048 bytes passes; empty cloud-init and bad base64 are refused', () => {
  const ok = causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: { userData: 'x'.repeat(2048) } });
    setPath(v, `${DISKS}[1]`, { name: 'ci', disk: {} });
  });
  assert.deepEqual(ok, []);
  const empty = causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: {} });
    setPath(v, `${DISKS}[1]`, { name: 'ci', disk: {} });
  });
  assertCause(empty, 'spec.volumes[1].cloudInitNoCloud', 'spec.volumes[1].cloudInitNoCloud must have at least one userdatasource or one networkdatasource set.');
  const bad = causesOf((v) => {
    setPath(v, 'spec.volumes[1]', { name: 'ci', cloudInitNoCloud: { userDataBase64: '***' } });
    setPath(v, `${DISKS}[1]`, { name: 'ci', disk: {} });
  });
  assertCause(bad, 'spec.volumes[1].cloudInitNoCloud.userDataBase64', 'spec.volumes[1].cloudInitNoCloud.userDataBase64 is not a valid base64 value.');
});
