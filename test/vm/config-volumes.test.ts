// configMap and secret volumes end to end, through kubectl against `pxevirt up` and a real guest
// (one boot): a ConfigMap (data and binaryData) on a virtio disk found by its serial, labelled
// OEMDRV, and a Secret on a CD-ROM labelled with the default cfgdata; the guest mounts both
// (ISO 9660) and prints their files, labels and contents on its console. The Secret's value shows
// nowhere but `kubectl get secret -o yaml` (and the guest): not in the VMI, its events,
// `describe`, or the daemon's log. A VMI naming a missing ConfigMap waits in Scheduling with a
// FailedMount Ready condition and Event naming the volume and the ConfigMap, and starts once the
// ConfigMap is created.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { diskVmiSpec, startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const skip = await vmiNodeUnavailable();

test('a guest sees a ConfigMap and a Secret as labelled ISO disks; a missing ConfigMap makes the VMI wait, saying so', { skip, timeout: 600_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'cfg-disk' });
  const token = randomBytes(6).toString('hex');
  const password = `pw-${token}`;
  await node.kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { 'ks.cfg': `install ${token}\n` }, binaryData: { 'blob.bin': Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64') } },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys' }, stringData: { password } },
  ] }));
  const spec = diskVmiSpec(node.image, {
    disks: [{ name: 'cfg', serial: 'CFGDISK', disk: { bus: 'virtio' } }, { name: 'sec', cdrom: { bus: 'sata' } }],
    volumes: [{ name: 'cfg', configMap: { name: 'app', volumeLabel: 'OEMDRV' } }, { name: 'sec', secret: { secretName: 'keys' } }],
  });
  const uid = await node.createVmi('cfg-vmi', spec);

  // Meanwhile: a VMI whose ConfigMap does not exist yet waits, and says why.
  await node.createVmi('cfg-wait', diskVmiSpec(node.image, { disks: [{ name: 'cfg', disk: { bus: 'virtio' } }], volumes: [{ name: 'cfg', configMap: { name: 'later' } }] }));
  const ready = '{.status.conditions[?(@.type=="Ready")]';
  await until('the FailedMount condition', async () => (await node.jsonpath('vmi', 'cfg-wait', `${ready}.reason}`)) === 'FailedMount', 120_000);
  assert.equal(await node.jsonpath('vmi', 'cfg-wait', `${ready}.message}`), 'MountVolume.SetUp failed for volume "cfg": ConfigMap default/later not found (set optional: true to start without it)');
  assert.equal(await node.jsonpath('vmi', 'cfg-wait', '{.status.phase}'), 'Scheduling');
  const events = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=cfg-wait', '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}']);
  assert.match(events, /^Warning FailedMount: MountVolume\.SetUp failed for volume "cfg": ConfigMap default\/later not found/m);
  await node.kubectl(['create', 'configmap', 'later', '--from-literal=k=v']);
  await until('the waiting VMI to start once its ConfigMap exists', async () => ['Scheduled', 'Running'].includes(await node.jsonpath('vmi', 'cfg-wait', '{.status.phase}')), 120_000);
  await node.kubectl(['delete', 'vmi', 'cfg-wait', '--grace-period=0', '--force', '--timeout=60s']);

  await node.kubectl(['wait', 'vmi/cfg-vmi', '--for=jsonpath={.status.phase}=Running', '--timeout=300s']);
  await until('the guest\'s shell', async () => (await node.serial(uid)).includes('PXEVIRT-GUEST ready'), 300_000);
  // The config disk is found by its serial, as KubeVirt's guide does it; the Secret is the CD-ROM.
  // The label is read from the ISO's primary volume descriptor (busybox's blkid knows no ISO 9660).
  await typeOnSerial(node.serialSocket(uid), [
    '',
    'for b in /sys/block/vd*; do [ "$(cat $b/serial 2>/dev/null)" = CFGDISK ] && d=/dev/${b##*/}; done',
    'mount -t iso9660 -o ro $d /mnt && echo "CFG-DEV $d LABEL=$(dd if=$d bs=1 skip=32808 count=32 2>/dev/null | tr -d \' \')" && echo "CFG-FILES $(ls /mnt | tr \'\\n\' \' \')" && echo "CFG-KS $(cat /mnt/ks.cfg)" && echo "CFG-BLOB $(od -An -tx1 /mnt/blob.bin | tr -d \' \\n\')"; umount /mnt',
    'mount -t iso9660 -o ro /dev/sr0 /mnt && echo "SEC-LABEL LABEL=$(dd if=/dev/sr0 bs=1 skip=32808 count=32 2>/dev/null | tr -d \' \')" && echo "SEC-PW $(cat /mnt/password)"; umount /mnt',
    '',
  ].join('\n'));
  const log = await until('the guest to print both disks', async () => {
    const s = await node.serial(uid);
    return /^SEC-PW /m.test(s) && /^CFG-BLOB /m.test(s) ? s : undefined;
  }, 60_000);
  const line = (prefix: string) => log.split('\n').find((l) => l.startsWith(`${prefix} `))?.slice(prefix.length + 1).trim();
  assert.match(line('CFG-DEV') ?? '', /^\/dev\/vd[b-z] LABEL=OEMDRV$/);
  assert.equal(line('CFG-FILES'), 'blob.bin ks.cfg');
  assert.equal(line('CFG-KS'), `install ${token}`);
  assert.equal(line('CFG-BLOB'), 'deadbeef');
  assert.equal(line('SEC-LABEL'), 'LABEL=cfgdata');
  assert.equal(line('SEC-PW'), password);

  // The Secret's value: in `get secret -o yaml` only (base64), nowhere else the API or the daemon shows.
  const encoded = Buffer.from(password).toString('base64');
  assert.ok((await node.kubectl(['get', 'secret', 'keys', '-o', 'yaml'])).includes(encoded));
  for (const args of [['get', 'vmi', 'cfg-vmi', '-o', 'yaml'], ['describe', 'vmi', 'cfg-vmi'], ['describe', 'secret', 'keys'], ['get', 'events', '-o', 'yaml']]) {
    const out = await node.kubectl(args);
    assert.ok(!out.includes(password) && !out.includes(encoded), `${args.join(' ')} shows no Secret value`);
  }
  assert.ok(!node.daemon.log().includes(password) && !node.daemon.log().includes(encoded), 'the daemon log holds no Secret value');
});
