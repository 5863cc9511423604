// PXE selection that knows the VMs (issue 18, Must-show 4), end to end through kubectl: two
// VirtualMachines on the seed NAD, neither with a MAC written anywhere (the MAC pool assigns
// them), one labelled role=installer; a PXEServer entry with selector.vmSelector. The labelled VM
// network-boots the installer image (one full boot); the other VM's boot-script answer is the
// default image, asked for with its pool MAC from a client on br1 (no second boot). Relabelling
// the other VM makes the entry select it too without restarting the server, and
// `kubectl describe` / `pxevirt describe` show which VMs the entry matches.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildTestGuest } from '../../scripts/test-guest.ts';
import { imageEntry, pxevirtBin, seedNadPxeServer, stageImage } from '../helpers/pxe.ts';
import { cleanSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';
import { startPxeVmNode } from './node-daemon.ts';

const skip = await vmiNodeUnavailable();
const SEED_NAD = join(process.env.PXEVIRT_SEED_DIR ?? '/work/shared/seed-scenario', 'pxe-net-conf.yaml');

const vm = (name: string, labels: Record<string, string>, running: boolean) => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachine',
  metadata: { name, labels },
  spec: {
    running,
    template: {
      spec: {
        terminationGracePeriodSeconds: 0,
        domain: { resources: { requests: { memory: '256Mi' } }, devices: { interfaces: [{ name: 'pxe-net', bridge: {}, bootOrder: 1 }] } },
        networks: [{ name: 'pxe-net', multus: { networkName: 'pxe-net-conf' } }],
      },
    },
  },
});

test('a vmSelector host entry boots the labelled VM into its image and gives the other VM the default, with no MAC written by hand', { skip, timeout: 900_000 }, async (t) => {
  const { dataDir, node, d, kubectl, imagesDir } = await startPxeVmNode(t, 'pxvs', 500);
  for (const name of ['installer', 'tiny']) await stageImage(imagesDir, name, await buildTestGuest({ name }));

  await kubectl(['apply', '-f', SEED_NAD]);
  await kubectl(['create', '-f', '-'], JSON.stringify(seedNadPxeServer('pxe', {
    dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.150', leaseSeconds: 600 },
    images: [imageEntry('installer'), imageEntry('tiny')],
    hosts: [{ selector: { vmSelector: { matchLabels: { role: 'installer' } } }, image: 'installer' }],
    defaultImage: 'tiny',
  })));
  await until('the PXEServer Ready', async () => (await d.kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).stdout.trim() === 'True', 180_000);
  const serverPid = (await readFile(join(dataDir, 'run', 'pxeserver', (await kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.metadata.uid}'])).trim(), 'pxe-serve.pid'), 'utf8')).trim();

  await kubectl(['create', '-f', '-'], JSON.stringify(vm('plain', {}, false)));
  await kubectl(['create', '-f', '-'], JSON.stringify(vm('installer', { role: 'installer' }, true)));
  const plainMac = (await kubectl(['get', 'vm', 'plain', '-o', 'jsonpath={.spec.template.spec.domain.devices.interfaces[0].macAddress}'])).trim();
  assert.match(plainMac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'the MAC pool gave the VM a MAC');

  // The labelled VM boots the installer image: its VMI's MAC was never written into the PXEServer.
  const uid = await until('the installer VMI', async () => (await d.kubectl(['get', 'vmi', 'installer', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim() || undefined, 120_000);
  const serial = () => readFile(join(dataDir, 'run', 'vmi', uid, 'serial.log'), 'utf8').then(cleanSerial, () => '');
  await until('the installer VM to boot the installer image', async () => (await serial()).includes('PXEVIRT-GUEST name=installer ok'), 420_000).catch(async (err: Error) => {
    throw new Error(`${err.message}; serial tail:\n${(await serial()).slice(-1500)}\ndaemon log tail:\n${d.log().split('\n').slice(-20).join('\n')}`);
  });

  // What the entry matches, in status and in both describes.
  const described = await kubectl(['describe', 'pxeserver', 'pxe']);
  assert.match(described, /Vm Matches:[\s\S]*Image:\s+installer[\s\S]*VirtualMachine default\/installer \(/);
  assert.doesNotMatch(described, /default\/plain/);
  const viaPxevirt = (await promisify(execFile)(process.execPath, [pxevirtBin, 'describe', 'pxeserver', 'pxe', '--kubeconfig', d.kubeconfig])).stdout;
  assert.match(viaPxevirt, /VirtualMachine default\/installer \(/);

  // The unlabelled VM's answer, asked for with its pool MAC from br1: the default image.
  const client = await node.addClient({ address: '192.168.100.9/24' });
  const script = async (mac: string) => (await client.exec('busybox', ['wget', '-q', '-O', '-', `http://192.168.100.1:8080/boot.ipxe?mac=${mac}&arch=bios`], { timeoutMs: 30_000 })).stdout;
  assert.match(await script(plainMac), /# pxevirt: image tiny/);

  // Labelled now: the running server selects it too, without a restart.
  await kubectl(['label', 'vm', 'plain', 'role=installer']);
  await until('the relabelled VM to get the installer', async () => /# pxevirt: image installer/.test(await script(plainMac)), 60_000);
  await until('status.vmMatches to list both', async () => /default\/plain/.test(await kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.status.vmMatches}'])), 60_000);
  const pidAfter = (await readFile(join(dataDir, 'run', 'pxeserver', (await kubectl(['get', 'pxeserver', 'pxe', '-o', 'jsonpath={.metadata.uid}'])).trim(), 'pxe-serve.pid'), 'utf8')).trim();
  assert.equal(pidAfter, serverPid, 'the server was not restarted for the inventory change');
  await kubectl(['delete', 'vm', 'installer', 'plain']);
});
