// The usual order on a real node: the PXE server starts on a bridge whose only port is the
// tap of a guest that is not running yet (NO-CARRIER), then the guest powers on. The server
// must start, serve the guest, and keep serving after the carrier goes and comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createNodeNamespace, ip, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { stageImage, startPxeServe, tempDir, tinyLinuxServer } from '../helpers/pxe.ts';

const MAC = 'de:00:00:00:00:de';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());

const carrierOf = async (ns: string, dev: string) => !(JSON.parse(await ip('-n', ns, '-j', 'link', 'show', 'dev', dev)) as Array<{ flags: string[] }>)[0]!.flags.includes('NO-CARRIER');

test('pxe serve starts on a bridge without carrier, boots the guest that brings it up, and serves again after carrier loss', { skip, timeout: 360_000 }, async (t) => {
  const node = await createNodeNamespace(t, { bridge: 'br1', address: '192.168.77.1/24' });
  const tap = await node.addTap(); // the guest's tap, no guest yet
  assert.equal(await carrierOf(node.name, 'br1'), false, 'the bridge has no carrier before the guest runs');

  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxe = await startPxeServe(t, node, tinyLinuxServer('br1', '192.168.77.1/24', '192.168.77.100-192.168.77.150'));
  assert.ok(pxe.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('no carrier yet on br1')), 'the server says "no carrier yet"');
  await stageImage(pxe.root, 'tiny-linux', image);

  const guest = await startGuest(t, { ns: node, firmware: 'bios', memoryMiB: 512, nics: [{ tap, mac: MAC, bootindex: 1, rom: true }] });
  await guest.waitFor('PXEVIRT-GUEST name=tiny-linux ok', { timeoutMs: 240_000 });
  assert.ok(pxe.eventsFor(MAC).includes('dhcp ack'), `the guest got its lease: ${pxe.eventsFor(MAC).join(', ')}`);

  // The last guest stops: carrier lost. Then another client comes: the same server answers it.
  await guest.stop();
  assert.equal(await carrierOf(node.name, 'br1'), false, 'carrier lost after the guest stopped');
  const dir = await tempDir(t);
  const script = join(dir, 'udhcpc.sh');
  await writeFile(script, '#!/bin/sh\necho "EVENT=$1 ip=$ip"\n');
  await chmod(script, 0o755);
  const client = await node.addClient({ mac: '02:00:00:00:77:01' });
  const { stdout } = await client.exec('busybox', ['udhcpc', '-f', '-q', '-n', '-t', '5', '-T', '2', '-i', 'eth0', '-s', script], { timeoutMs: 60_000 });
  assert.match(stdout, /EVENT=bound ip=192\.168\.77\.1\d\d/, `a lease after the carrier came back:\n${stdout}`);
});
