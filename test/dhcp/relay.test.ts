// Option 82 on the wire: a relay agent forwards a client's iPXE DISCOVER and REQUEST with its
// circuit ID; the real `pxe serve` answers the relay (option 82 echoed back) and the boot
// script the client then asks for is the image of the host entry that selects that circuit ID.
// A client behind another port of the relay gets the default image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createNodeNamespace, netnsUnavailable } from '../helpers/netns.ts';
import { imageEntry, startPxeServe } from '../helpers/pxe.ts';

const skip = await netnsUnavailable();
const RELAY = fileURLToPath(new URL('./relay-client.ts', import.meta.url));

test('a relayed client is selected by its option 82 circuit ID', { skip, timeout: 120_000 }, async (t) => {
  const node = await createNodeNamespace(t, { address: '192.168.100.1/24' });
  const pxe = await startPxeServe(t, node, {
    interface: 'br0',
    address: '192.168.100.1/24',
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
    images: [imageEntry('tiny'), imageEntry('installer')],
    hosts: [{ selector: { circuitId: 'rack1/port7' }, image: 'installer' }],
    defaultImage: 'tiny',
  });
  const relay = await node.addClient({ address: '192.168.100.2/24' });
  const ask = async (mac: string, circuit: string) => {
    const { stdout } = await relay.exec(process.execPath, ['--import', 'tsx', RELAY, mac, '192.168.100.2', '192.168.100.1', circuit], { timeoutMs: 60_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { offerType: number | null; yiaddr: string | null; ackType: number | null; bootfile: string | null; echoed: boolean; script: string | null };
  };

  const port7 = await ask('02:00:00:00:07:07', 'rack1/port7');
  assert.equal(port7.offerType, 2, `expected an OFFER sent to the relay; server log: ${JSON.stringify(pxe.lines.slice(-5))}`);
  assert.match(port7.yiaddr ?? '', /^192\.168\.100\.(1[0-4]\d|150)$/);
  assert.equal(port7.ackType, 5);
  assert.equal(port7.echoed, true, 'the ACK carries the relay agent information back to the relay');
  assert.match(port7.script ?? '', /installer\/vmlinuz/, `expected the installer image, found:\n${port7.script}`);
  const why = await pxe.waitForLog((l) => l.proto === 'http' && l.mac === '02:00:00:00:07:07' && typeof l.reason === 'string' && (l.reason as string).includes('circuitId'), 'the selection reason');
  assert.match(String(why.reason), /hosts\[0\] matched circuitId rack1\/port7/);

  const port8 = await ask('02:00:00:00:08:08', 'rack1/port8');
  assert.equal(port8.ackType, 5);
  assert.match(port8.script ?? '', /tiny\/vmlinuz/, `expected the default image, found:\n${port8.script}`);
});
