import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatePxeServerSpec, type PxeServerSpec } from '../../resources/pxe-server.ts';
import { answerBoot, answerImage, answerMenu } from './scripts.ts';

const base = 'http://192.168.100.1:8080';

function spec(extra: Record<string, unknown> = {}): PxeServerSpec {
  const { value, causes } = validatePxeServerSpec({
    interface: 'br0',
    address: '192.168.100.1/24',
    dhcp: { mode: 'off' },
    root: '/srv/pxe',
    images: [
      { name: 'tiny-linux', kernel: 'tiny/vmlinuz', initrd: ['tiny/initrd.gz'], cmdline: 'console=ttyS0' },
      { name: 'broken', kernel: 'b/vmlinuz', cmdline: 'quiet\ninit=/bin/sh' },
    ],
    hosts: [
      { selector: { mac: 'de:00:00:00:00:de' }, image: 'tiny-linux' },
      { selector: { mac: 'de:00:00:00:00:bb' }, image: 'broken' },
    ],
    ...extra,
  });
  assert.deepEqual(causes, []);
  return value as PxeServerSpec;
}

test('answers a known MAC with its image and says which host matched', () => {
  const answer = answerBoot(spec(), base, new URLSearchParams('mac=de-00-00-00-00-de&platform=pcbios&buildarch=i386'));
  assert.equal(answer.selection, 'image');
  assert.equal(answer.image, 'tiny-linux');
  assert.equal(answer.reason, 'hosts[0] matched mac de:00:00:00:00:de');
  assert.match(answer.body, /^# pxevirt: image tiny-linux for de:00:00:00:00:de \(bios\)$/m);
});

test('answers an image that cannot be rendered with a script that prints why', () => {
  const answer = answerBoot(spec(), base, new URLSearchParams('mac=de:00:00:00:00:bb'));
  assert.equal(answer.selection, 'error');
  assert.equal(answer.status, 200);
  assert.match(answer.reason, /image broken: cmdline: expected a single line/);
  assert.match(answer.body, /^echo pxevirt: nothing to boot: image broken: cmdline: expected a single line/m);
  assert.doesNotMatch(answer.body, /init=\/bin\/sh$/m, 'the second cmdline line never becomes a script line');
});

test('answers an unknown MAC with the menu, or nothing when the menu is off', () => {
  assert.equal(answerBoot(spec(), base, new URLSearchParams('mac=02:00:00:00:00:01')).selection, 'menu');
  const off = answerBoot(spec({ menu: { enabled: false } }), base, new URLSearchParams('mac=02:00:00:00:00:01'));
  assert.equal(off.selection, 'none');
  assert.match(off.body, /^echo pxevirt: nothing to boot: no host matched, no defaultImage and the menu is disabled$/m);
});

test('answers the menu and single images by name', () => {
  assert.match(answerMenu(spec({ defaultImage: 'tiny-linux' }), base, new URLSearchParams()).body, /--default image-tiny-linux /);
  const missing = answerImage(spec(), base, 'nope', new URLSearchParams());
  assert.equal(missing.status, 404);
  assert.equal(missing.body, 'no image named "nope"; expected one of: tiny-linux, broken\n');
  assert.match(answerImage(spec(), base, 'tiny-linux', new URLSearchParams()).body, /^kernel http:\/\/192\.168\.100\.1:8080\/files\/tiny\/vmlinuz /m);
});
