// A VMI with a cloudInitNoCloud volume whose user-data is in a Secret (`secretRef`, as KubeVirt
// users keep it), created through the API with the daemon's controllers on (`pxevirt up
// --config FILE`: the registry mirror comes from the config file): the guest booted from the
// containerDisk finds the `cidata` ISO and prints the first line of that user-data, which shows
// nowhere but `kubectl get secret -o yaml`; a VMI naming a missing Secret fails saying so; its meta-data carries the VMI's instance-id (the firmware
// UUID) and local-hostname (spec.hostname); the VMI is Running on the configured node and
// leaves nothing behind once deleted.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cidataLinePrefix } from '../../scripts/guest/init-script.ts';
import { podNamespaces } from '../helpers/netns.ts';
import { diskVmiSpec, qemusWith, startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const skip = await vmiNodeUnavailable();

test('the guest of a VMI sees its cloud-init NoCloud ISO with the VMI\'s user-data and meta-data', { skip, timeout: 600_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'ci-disk' });
  const token = randomBytes(4).toString('hex');
  const userData = `#cloud-config ${token}\nruncmd:\n  - echo hello\n`;
  const made = await node.kubectl(['create', 'secret', 'generic', 'ci-user', `--from-literal=userdata=${userData}`]);
  assert.match(made, /secret\/ci-user created/);
  const spec = diskVmiSpec(node.image, {
    disks: [{ name: 'cloudinitdisk', disk: { bus: 'virtio' } }],
    volumes: [{ name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: 'ci-user' } } }],
  });
  spec.hostname = `ci-${token}`;
  const uid = await node.createVmi('ci-vmi', spec);

  await node.kubectl(['wait', 'vmi/ci-vmi', '--for=jsonpath={.status.phase}=Running', '--timeout=300s']);
  assert.equal(await node.jsonpath('vmi', 'ci-vmi', '{.status.nodeName}'), node.nodeName, 'the node name from the config file');
  const seen = await until('the guest to print the cidata line', async () => {
    const log = await node.serial(uid);
    // The whole line: a read may land while the guest is still writing it.
    const at = log.indexOf(cidataLinePrefix);
    return at >= 0 && log.indexOf('\n', at) > at ? log : undefined;
  }, 300_000);
  assert.ok(seen.includes(node.disk.marker), 'the guest booted from the containerDisk');
  // Kernel messages may share the console line under load: the guest's text starts at the prefix.
  const found = seen.split('\n').find((l) => l.includes(cidataLinePrefix));
  const line = found?.slice(found.indexOf(cidataLinePrefix));
  assert.equal(line?.trim(), `${cidataLinePrefix}#cloud-config ${token}`, 'the first line of the Secret\'s user-data');
  // The value shows in `get secret -o yaml` only: not in the VMI, its description, the tables or the daemon's log.
  const encoded = Buffer.from(userData).toString('base64');
  assert.ok((await node.kubectl(['get', 'secret', 'ci-user', '-o', 'yaml'])).includes(encoded));
  for (const args of [['get', 'vmi', 'ci-vmi', '-o', 'yaml'], ['describe', 'vmi', 'ci-vmi'], ['describe', 'secret', 'ci-user'], ['get', 'secret', 'ci-user']]) {
    const out = await node.kubectl(args);
    assert.ok(!out.includes(`#cloud-config ${token}`) && !out.includes(encoded), `${args.join(' ')} shows no user-data`);
  }
  assert.ok(!node.daemon.log().includes(`#cloud-config ${token}`) && !node.daemon.log().includes(encoded), 'the daemon log holds no user-data');

  // A VMI whose Secret does not exist fails with the field and the Secret named (no guest).
  const missing = diskVmiSpec(node.image, { disks: [{ name: 'cloudinitdisk', disk: { bus: 'virtio' } }], volumes: [{ name: 'cloudinitdisk', cloudInitNoCloud: { secretRef: { name: 'no-such-secret' } } }] });
  await node.createVmi('ci-missing', missing);
  await node.kubectl(['wait', 'vmi/ci-missing', '--for=jsonpath={.status.phase}=Failed', '--timeout=120s']);
  const events = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=ci-missing', '-o', 'jsonpath={.items[*].message}']);
  assert.match(events, /spec\.volumes\[\d\]\.cloudInitNoCloud\.secretRef: Secret default\/no-such-secret not found/);
  await node.kubectl(['delete', 'vmi', 'ci-missing', '--grace-period=0', '--force', '--timeout=60s']);

  // meta-data, read by hand on the guest's console once its shell is up.
  await until('the guest\'s shell', async () => (await node.serial(uid)).includes('PXEVIRT-GUEST ready'), 120_000);
  const firmwareUuid = await node.jsonpath('vmi', 'ci-vmi', '{.spec.domain.firmware.uuid}');
  assert.match(firmwareUuid, /^[0-9a-f-]{36}$/);
  await typeOnSerial(node.serialSocket(uid), '\nfor d in /dev/vd*; do mount -t iso9660 -o ro $d /mnt 2>/dev/null && { echo; echo "META $(cat /mnt/meta-data)"; umount /mnt; }; done\n');
  const meta = await until('the meta-data on the console', async () => /^META (\{.*\})$/m.exec(await node.serial(uid))?.[1], 60_000);
  assert.deepEqual(JSON.parse(meta), { 'instance-id': firmwareUuid, 'local-hostname': `ci-${token}` });

  // Deleted with grace 0: its QEMU, run dir and pod netns go with it.
  await node.kubectl(['delete', 'vmi', 'ci-vmi', '--grace-period=0', '--force', '--timeout=60s']);
  await until('the VMI\'s QEMU gone', async () => (await qemusWith(uid)).length === 0, 60_000);
  await until('the pod netns gone', async () => (await podNamespaces(node.prefix)).length === 0, 60_000);
  assert.equal(existsSync(join(node.dataDir, 'run', 'vmi', uid)), false, 'run dir removed');
});
