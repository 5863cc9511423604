import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PxeImage } from '../resources/pxe-server.ts';
import { fileUrl, renderChainBack, renderImageScript, renderMenu, renderNoImage, sanitize, ScriptRenderError } from './ipxe-script.ts';

const base = 'http://192.168.100.1:8080';
const kernelImage = (over: Partial<PxeImage> = {}): PxeImage => ({
  name: 'tiny-linux',
  kernel: 'tiny/vmlinuz',
  initrd: ['tiny/initrd.gz'],
  cmdline: 'console=ttyS0 quiet',
  ...over,
});

test('renders a kernel image that names its initrd on the kernel line, for UEFI', () => {
  const script = renderImageScript(kernelImage(), { baseUrl: base, arch: 'efi-x64', client: { mac: 'de:00:00:00:00:de' } });
  assert.equal(
    script,
    [
      '#!ipxe',
      '# pxevirt: image tiny-linux for de:00:00:00:00:de (efi-x64)',
      'kernel http://192.168.100.1:8080/files/tiny/vmlinuz initrd=initrd.gz console=ttyS0 quiet',
      'initrd http://192.168.100.1:8080/files/tiny/initrd.gz',
      'boot',
      '',
    ].join('\n'),
  );
});

test('names every initrd, in order, and gives colliding basenames their own names', () => {
  const script = renderImageScript(kernelImage({ initrd: ['a/initrd.img', 'b/initrd.img', 'modules.cpio'], cmdline: '' }), { baseUrl: base });
  const lines = script.split('\n');
  assert.equal(lines[2], 'kernel http://192.168.100.1:8080/files/tiny/vmlinuz initrd=initrd.img initrd=initrd-1 initrd=modules.cpio');
  assert.deepEqual(lines.slice(3, 6), [
    'initrd http://192.168.100.1:8080/files/a/initrd.img',
    'initrd --name initrd-1 http://192.168.100.1:8080/files/b/initrd.img',
    'initrd http://192.168.100.1:8080/files/modules.cpio',
  ]);
});

test('renders a kernel without initrds and without arguments as a bare kernel line', () => {
  const script = renderImageScript(kernelImage({ initrd: [], cmdline: '' }), { baseUrl: `${base}/` });
  assert.match(script, /^kernel http:\/\/192\.168\.100\.1:8080\/files\/tiny\/vmlinuz\n/m);
});

test('uses http URLs as written and URL-encodes paths under root', () => {
  const image = kernelImage({ kernel: 'http://mirror.example/boot/vmlinuz', initrd: ['odd name/in$itrd.gz', 'https://mirror.example/x/initrd%20two.gz?v=1'] });
  const lines = renderImageScript(image, { baseUrl: base }).split('\n');
  assert.equal(lines[2], 'kernel http://mirror.example/boot/vmlinuz initrd=initrd-0 initrd=initrd-1 console=ttyS0 quiet');
  assert.equal(lines[3], 'initrd --name initrd-0 http://192.168.100.1:8080/files/odd%20name/in%24itrd.gz');
  assert.equal(lines[4], 'initrd --name initrd-1 https://mirror.example/x/initrd%20two.gz?v=1');
  assert.equal(fileUrl(base, './a//b.img'), 'http://192.168.100.1:8080/files/a/b.img');
});

test('passes an ipxeScript image through as written', () => {
  const script = renderImageScript({ name: 'custom', initrd: [], cmdline: '', ipxeScript: '\n#!ipxe\necho hi\nshell' }, { baseUrl: base });
  assert.equal(script, '#!ipxe\necho hi\nshell\n');
});

test('refuses a cmdline that iPXE would misread, naming the image and field', () => {
  assert.throws(() => renderImageScript(kernelImage({ cmdline: 'quiet\nshell' }), { baseUrl: base }), (err: unknown) => {
    assert.ok(err instanceof ScriptRenderError);
    assert.equal(err.image, 'tiny-linux');
    assert.equal(err.field, 'cmdline');
    assert.match(err.message, /image tiny-linux: cmdline: expected a single line without control characters \(no newline\), found "quiet\\nshell"/);
    return true;
  });
  assert.throws(() => renderImageScript(kernelImage({ cmdline: 'quiet #comment' }), { baseUrl: base }), /starting with "#"/);
  assert.throws(() => renderImageScript(kernelImage({ cmdline: 'a && b' }), { baseUrl: base }), /operator/);
  assert.throws(() => renderImageScript(kernelImage({ kernel: 'http://x/a b' }), { baseUrl: base }), /kernel: expected a URL without whitespace/);
  assert.doesNotThrow(() => renderImageScript(kernelImage({ cmdline: 'a&&b ip=${ip} x#y' }), { baseUrl: base }));
});

const images = [kernelImage(), kernelImage({ name: 'installer' })];

test('renders a menu whose default is the first image when none is given', () => {
  const menu = renderMenu(images, { baseUrl: base, timeoutSeconds: 10 });
  const lines = menu.split('\n');
  assert.equal(lines[0], '#!ipxe');
  assert.ok(lines.includes('item image-tiny-linux tiny-linux'));
  assert.ok(lines.includes('item image-installer installer'));
  assert.ok(lines.includes('item next-device Exit and boot from the next device'));
  assert.ok(lines.includes('choose --timeout 10000 --default image-tiny-linux target && goto ${target} || goto next-device'));
  const at = lines.indexOf(':image-installer');
  assert.ok(at > 0);
  assert.equal(
    lines[at + 1],
    'chain http://192.168.100.1:8080/image/installer.ipxe?mac=${mac:hexhyp}&uuid=${uuid}&hostname=${hostname}&platform=${platform}&buildarch=${buildarch} || goto failed',
  );
  assert.equal(lines.at(-2), 'exit');
  assert.ok(lines.indexOf(':next-device') > at, 'the exit label comes after every image label');
  for (const line of lines.filter((l) => l.startsWith('item '))) assert.doesNotMatch(line, /&&|\|\||\$\{/);
});

test('renders a menu with the given default and no timeout when it is 0', () => {
  const menu = renderMenu(images, { baseUrl: base, timeoutSeconds: 0, default: 'installer' });
  assert.match(menu, /^choose --default image-installer target && goto \$\{target\} \|\| goto next-device$/m);
  assert.throws(() => renderMenu(images, { baseUrl: base, timeoutSeconds: 5, default: 'nope' }), /expected one of tiny-linux, installer, found "nope"/);
});

test('renders an empty menu that can only exit', () => {
  assert.match(renderMenu([], { baseUrl: base, timeoutSeconds: 3 }), /--default next-device target/);
});

test('renders a no-image script that prints a sanitised reason and exits', () => {
  const script = renderNoImage('no host matched; no ${x} && #here\nnext');
  const lines = script.split('\n');
  assert.equal(lines[0], '#!ipxe');
  assert.equal(lines[1], 'echo pxevirt: nothing to boot: no host matched, no __x_ __ _here next');
  assert.ok(lines.includes('sleep 5'));
  assert.equal(lines.at(-2), 'exit');
  assert.equal(sanitize('hosts[0] matched mac de:00:00:00:00:de'), 'hosts[0] matched mac de:00:00:00:00:de');
});

test('renders a chain-back to the same path with iPXE filling in who it is', () => {
  assert.equal(
    renderChainBack(`${base}/`),
    '#!ipxe\nchain http://192.168.100.1:8080/boot.ipxe?mac=${mac:hexhyp}&uuid=${uuid}&hostname=${hostname}&platform=${platform}&buildarch=${buildarch}\n',
  );
});
