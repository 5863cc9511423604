// The VMI row of the whole-boot benchmark (issue 15 Must-show 1): `pxevirt up` with a PXEServer
// (Ready beforehand) on the seed NAD, and a VMI (BIOS, 512Mi, one bridge NIC with bootOrder 1)
// timed from `kubectl create` to the guest's marker — power-on through the control plane. Its
// peer is the BIOS row's dnsmasq side (the same guest, firmware and iPXE ROM, QEMU by hand).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { imageEntry, seedNadPxeServer, stageImage } from '../test/helpers/pxe.ts';
import { cleanSerial, until } from '../test/helpers/vmi-node.ts';
import { pxeNetVmi, SEED_NAD, startPxeVmNode } from '../test/pxeserver/node-daemon.ts';
import { CMDLINE, MARKER, type Side } from './whole-boot-guest.ts';

const MAC = 'de:00:00:00:b0:03';

const vmi = pxeNetVmi('bench', MAC);

export const vmiPxevirt: Side = async (t, image) => {
  const { dataDir, d, kubectl, imagesDir } = await startPxeVmNode(t as TestContext, 'pxwb', 1000);
  await stageImage(imagesDir, 'tiny-linux', image);
  await kubectl(['apply', '-f', SEED_NAD]);
  const server = seedNadPxeServer('pxe', {
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
    images: [imageEntry('tiny-linux', CMDLINE)],
    defaultImage: 'tiny-linux',
  });
  await kubectl(['create', '-f', '-'], JSON.stringify(server));
  await until('the PXEServer Ready', async () => (await d.kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout.trim() === 'True', 180_000);
  const load = Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]);
  const started = performance.now();
  await kubectl(['create', '-f', '-'], JSON.stringify(vmi));
  let uid = '';
  await until('the VMI to boot the test guest', async () => {
    uid ||= (await d.kubectl(['get', 'vmi', 'bench', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
    if (uid === '') return false;
    const serial = await readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(cleanSerial, () => '');
    return serial.includes(MARKER);
  }, 600_000);
  const seconds = (performance.now() - started) / 1000;
  await kubectl(['delete', 'vmi', 'bench', '--wait=true']);
  return { seconds, load };
};
