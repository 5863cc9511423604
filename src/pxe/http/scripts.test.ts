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

function installSpec(): PxeServerSpec {
  return spec({
    images: [
      { name: 'installer', kernel: 'inst/vmlinuz', cmdline: 'console=ttyS0 files={{files}} done={{doneURL}} mac={{mac}} host={{hostname}} arch={{arch}} ip={{ip}} image={{image}}' },
      { name: 'scripted', ipxeScript: '#!ipxe\necho {{mac}} {{uuid}}\nchain {{files}}/x.ipxe?done={{doneURL}}\n' },
    ],
    hosts: [
      { selector: { mac: 'de:00:00:00:00:01' }, image: 'installer', once: true },
      { selector: { mac: 'de:00:00:00:00:02' }, image: 'scripted' },
    ],
  });
}

function hooks(decision: 'install' | 'local' = 'install') {
  const begun: string[] = [];
  return { begun, decide: () => decision, begin: (mac: string, image: string) => (begun.push(`${mac} ${image}`), 'TOKEN-0123456789abcdef'), ip: '192.168.100.101' };
}

test('renders the cmdline per host, with a doneURL for this boot', () => {
  const h = hooks();
  const answer = answerBoot(installSpec(), base, new URLSearchParams('mac=de-00-00-00-00-01&hostname=node1&arch=bios'), h);
  assert.equal(answer.selection, 'image');
  assert.match(
    answer.body,
    /files=http:\/\/192\.168\.100\.1:8080\/files done=http:\/\/192\.168\.100\.1:8080\/done\/TOKEN-0123456789abcdef mac=de:00:00:00:00:01 host=node1 arch=bios ip=192\.168\.100\.101 image=installer\n/,
  );
  assert.deepEqual(h.begun, ['de:00:00:00:00:01 installer']);
});

test('renders an iPXE script template; an unknown uuid renders empty', () => {
  const answer = answerBoot(installSpec(), base, new URLSearchParams('mac=de-00-00-00-00-02&uuid='), hooks());
  assert.equal(answer.body, '#!ipxe\necho de:00:00:00:00:02 \nchain http://192.168.100.1:8080/files/x.ipxe?done=http://192.168.100.1:8080/done/TOKEN-0123456789abcdef\n');
});

test('a hostile hostname does not reach the script', () => {
  const answer = answerBoot(installSpec(), base, new URLSearchParams('mac=de-00-00-00-00-01&hostname=x%20%23%20%26%26%20shell'), hooks());
  assert.equal(answer.selection, 'image');
  assert.match(answer.body, / host= arch=/);
});

test('an installed once host gets the local-boot answer and starts no install', () => {
  const h = hooks('local');
  const answer = answerBoot(installSpec(), base, new URLSearchParams('mac=de-00-00-00-00-01'), h);
  assert.equal(answer.selection, 'local');
  assert.equal(answer.image, 'installer');
  assert.match(answer.body, /^#!ipxe\necho pxevirt: de:00:00:00:00:01 is installed \(image installer\): booting from the next device\nexit\n$/);
  assert.deepEqual(h.begun, []);
});
