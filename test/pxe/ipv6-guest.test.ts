// Must show (issue 15): a Linux guest network-booted by pxevirt, which answers router
// solicitations, gets no IPv6 default route and no global address (without pxevirt it has only
// its link-local address and route: nothing else on this segment speaks IPv6), and iPXE no longer
// waits ~16 s for routers between its DHCP ACK and its script request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable, startGuest } from '../helpers/qemu.ts';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { stageImage, startPxeServe, tinyLinuxServer } from '../helpers/pxe.ts';

const MAC = 'de:00:00:00:00:d6';
const skip = (await netnsUnavailable()) ?? (await qemuUnavailable());

test('a guest booted with the router-solicitation answer has no IPv6 default route or global address, and iPXE does not wait for routers', { skip, timeout: 360_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const image = await buildTestGuest({ name: 'tiny-linux' });
  const pxe = await startPxeServe(t, node, tinyLinuxServer('br0', '192.168.100.1/24', '192.168.100.100-192.168.100.199'));
  await stageImage(pxe.root, 'tiny-linux', image);
  const guest = await startGuest(t, { ns: node, firmware: 'bios', memoryMiB: 512, nics: [{ tap: await node.addTap(), mac: MAC, bootindex: 1, rom: true }] });
  await guest.waitFor(/PXEVIRT-GUEST ready/, { timeoutMs: 240_000 });

  // iPXE's solicitation, then the Linux kernel's: both answered.
  const answers = () => pxe.lines.filter((l) => l.proto === 'ndp' && l.event === 'ra' && l.mac === MAC).length;
  await pxe.waitForLog((l) => l.proto === 'ndp' && l.event === 'ra' && l.mac === MAC && answers() >= 2, 'answers to iPXE and to Linux', 60_000);
  const since = await guest.logLength();
  await guest.sendSerial('ip -6 route; ip -6 addr; echo V6-$((40+2))\n');
  await guest.waitFor('V6-42', { since, timeoutMs: 30_000 });
  const out = (await guest.log()).slice(since);
  assert.match(out, /fe80::\/64 dev eth0/, `the link-local route is there (the output is real):\n${out}`);
  assert.doesNotMatch(out, /^default/m, `no IPv6 default route:\n${out}`);
  assert.doesNotMatch(out, /scope global/, `no global IPv6 address:\n${out}`);

  // The wait is gone: iPXE asks for its script within seconds of its DHCP ACK, not ~16 s.
  const at = (pred: (l: Record<string, unknown>) => boolean) => pxe.lines.filter((l) => l.mac === MAC && pred(l)).map((l) => Date.parse(String(l.time)));
  const script = at((l) => l.proto === 'http' && l.event === 'script')[0];
  const ack = at((l) => l.proto === 'dhcp' && l.event === 'ack').filter((x) => script !== undefined && x <= script).pop();
  assert.ok(script !== undefined && ack !== undefined, 'ACK and script request logged');
  assert.ok(script - ack < 5000, `script requested ${script - ack} ms after the ACK (was ~16 s without the answer)`);
});
