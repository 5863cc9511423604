import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BOOT_OVERRIDE_ANNOTATION } from './boot-override.ts';
import { planVmi, type Vmi } from './device-plan.ts';
import { formatInsertedMedia, mediaFile, mediaUrlProblem, parseInsertedMedia, VIRTUAL_CD_NAME, VIRTUAL_MEDIA_ANNOTATION } from './virtual-media.ts';

const vmi = (annotations: Record<string, string>): Vmi => ({
  metadata: { name: 'bm', namespace: 'ns1', uid: 'vmi-uid', annotations },
  spec: {
    domain: { resources: { requests: { memory: '256Mi' } }, devices: { disks: [{ name: 'root', bootOrder: 1, disk: { bus: 'virtio' } }], interfaces: [{ name: 'pxe', bridge: {}, macAddress: '02:00:00:00:00:01' }] } },
    networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
    volumes: [{ name: 'root', persistentVolumeClaim: { claimName: 'root' } }],
  },
});

test('only http(s) URLs are media URLs', () => {
  assert.equal(mediaUrlProblem('https://example.org/a.iso'), undefined);
  assert.match(mediaUrlProblem('file:///etc/shadow') ?? '', /expected an http:\/\/ or https:\/\/ URL, found the scheme file:/);
  assert.match(mediaUrlProblem('not a url') ?? '', /found "not a url"/);
  assert.match(mediaUrlProblem(`http://x/${'a'.repeat(3000)}`) ?? '', /at most 2048 characters, found 3009/);
});

test('an annotation someone wrote by hand is read only when it is well-formed; the file follows from a safe uid alone', () => {
  assert.deepEqual(parseInsertedMedia(formatInsertedMedia({ image: 'http://h/a.iso', vmUid: 'abc-1' })), { image: 'http://h/a.iso', vmUid: 'abc-1' });
  assert.equal(parseInsertedMedia('{"image":"file:///etc/shadow"}'), undefined);
  assert.equal(parseInsertedMedia('{"image":"http://h/a.iso","vmUid":"../../etc"}'), undefined);
  assert.equal(parseInsertedMedia('nonsense'), undefined);
  assert.equal(mediaFile('/data/media', 'abc-1'), '/data/media/abc-1/cd.iso');
  assert.throws(() => mediaFile('/data/media', '../x'), /expected a Kubernetes uid, found "..\/x"/);
});

test('a VMI carrying inserted media gets a read-only SATA CD-ROM; Cd + Once boots it first and restores the spec order after', () => {
  const media = formatInsertedMedia({ image: 'http://h/a.iso', vmUid: 'vm-uid' });
  const plan = planVmi(vmi({ [VIRTUAL_MEDIA_ANNOTATION]: media, [BOOT_OVERRIDE_ANNOTATION]: JSON.stringify({ target: 'Cd', enabled: 'Once', mode: 'Legacy' }) }));
  const cd = plan.disks.find((d) => d.name === VIRTUAL_CD_NAME);
  assert.deepEqual([cd?.kind, cd?.bus, cd?.readonly, cd?.bootOrder], ['cdrom', 'sata', true, 1]);
  assert.deepEqual(cd?.volume, { name: VIRTUAL_CD_NAME, type: 'media', vmUid: 'vm-uid', image: 'http://h/a.iso' });
  assert.equal(plan.disks.find((d) => d.name === 'root')?.bootOrder, 2);
  assert.deepEqual(plan.bootRestore?.disks, [1, undefined], 'after the one boot: the root disk first, the CD with no boot index');
  assert.equal(planVmi(vmi({})).disks.length, 1, 'no media, no CD-ROM');
  assert.equal(planVmi(vmi({ [VIRTUAL_MEDIA_ANNOTATION]: formatInsertedMedia({ image: 'http://h/a.iso' }) })).disks.length, 1, "no VM uid (a VM's own annotation copied by hand), no CD-ROM");
});

test('an annotation without an image keeps an empty virtual CD drive (a medium can be inserted while the guest runs); none, no drive', () => {
  assert.deepEqual(parseInsertedMedia('{}'), {});
  assert.equal(parseInsertedMedia('[]'), undefined);
  assert.equal(parseInsertedMedia('{"image":null}'), undefined);
  assert.equal(formatInsertedMedia({ vmUid: 'vm-uid' }), '{"vmUid":"vm-uid"}');
  const plan = planVmi(vmi({ [VIRTUAL_MEDIA_ANNOTATION]: formatInsertedMedia({ vmUid: 'vm-uid' }) }));
  const cd = plan.disks.find((d) => d.name === VIRTUAL_CD_NAME);
  assert.deepEqual([cd?.kind, cd?.bus, cd?.bootOrder], ['cdrom', 'sata', undefined]);
  assert.deepEqual(cd?.volume, { name: VIRTUAL_CD_NAME, type: 'media', vmUid: 'vm-uid' }, 'no image: an empty drive');
});
