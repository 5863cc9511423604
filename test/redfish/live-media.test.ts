// Issue 16: the BMC's virtual CD changed while the guest runs. One boot: a VM whose owner kept
// its (empty) virtual CD drive (annotation `{}`, what EjectMedia leaves) boots its disk; then,
// with the guest up, InsertMedia of an ISO served on loopback → the guest reads the ISO's volume
// descriptor from /dev/sr0 and sees its size; EjectMedia → it reads nothing. The guest is asked
// through its serial console.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { buildTestIso } from '../../scripts/guest/iso-image.ts';
import { diskVmiSpec, startVmiNode, typeOnSerial, until, vmiNodeUnavailable } from '../helpers/vmi-node.ts';

const run = promisify(execFile);
const skip = await vmiNodeUnavailable();

test('a running guest sees a virtual CD inserted and ejected through Redfish (QMP media change, no restart)', { skip, timeout: 900_000 }, async (t) => {
  const node = await startVmiNode(t, { name: 'bmclive' });
  const iso = await buildTestIso({ name: 'bmclive-cd' });
  const sectors = statSync(iso.path).size / 512;
  const server = createServer((req, res) => {
    if (req.url !== '/cd.iso') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(iso.path).size });
    createReadStream(iso.path).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const isoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cd.iso`;

  const vm = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'live', annotations: { 'bmc.pxevirt.io/virtual-media': '{}' } },
    spec: { runStrategy: 'Always', template: { spec: diskVmiSpec(node.image) } },
  };
  await node.kubectl(['create', '-f', '-'], JSON.stringify(vm));
  const vmUid = (await node.jsonpath('vm', 'live', '{.metadata.uid}')).trim();
  const uid = await until('a Running VMI', async () => {
    const [u, phase] = (await node.jsonpath('vmi', 'live', '{.metadata.uid} {.status.phase}')).split(' ');
    return u && phase === 'Running' ? u : undefined;
  });
  await until('the guest to boot its disk', async () => (await node.serial(uid)).includes(node.disk.marker), 400_000);
  const qemuArgs = JSON.parse(readFileSync(join(node.dataDir, 'run', 'vmi', uid, 'qemu.args'), 'utf8')) as string[];
  assert.ok(qemuArgs.some((a) => /^if=none,id=drive-disk\d+,readonly=on$/.test(a)), `an empty drive: ${qemuArgs.join(' ')}`);

  const config = parse(readFileSync(node.daemon.kubeconfig, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }> };
  const caFile = join(node.dataDir, 'redfish-live-ca.pem');
  writeFileSync(caFile, Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64'));
  const redfish = async (method: string, path: string, body?: unknown) => {
    const args = ['-sS', '--cacert', caFile, '-u', `admin:${node.daemon.token}`, '-X', method, '-H', 'content-type: application/json', '-w', '\n%{http_code}', ...(body === undefined ? [] : ['--data', JSON.stringify(body)]), `https://127.0.0.1:${node.daemon.port}${path}`];
    const out = (await run('curl', args, { timeout: 300_000 })).stdout;
    const at = out.lastIndexOf('\n');
    return { status: Number(out.slice(at + 1)), text: out.slice(0, at) };
  };
  const cd = `/redfish/v1/Systems/${vmUid}/VirtualMedia/Cd`;
  // Each probe reads the drive's volume descriptor (Linux then looks at the medium) and prints
  // its "CD001" (nothing when there is no medium) and the sectors Linux sees, numbered.
  let probes = 0;
  const guestCd = async () => {
    const n = ++probes;
    await typeOnSerial(node.serialSocket(uid), `echo "SR0-${n}-[$(dd if=/dev/sr0 bs=2048 skip=16 count=1 2>/dev/null | dd bs=1 skip=1 count=5 2>/dev/null)]-$(cat /sys/block/sr0/size)"\n`);
    const [, magic, size] = await until(`the guest's answer ${n}`, async () => new RegExp(`SR0-${n}-\\[(\\w*)\\]-(\\d+)`).exec(await node.serial(uid)) ?? undefined, 60_000);
    return { magic, sectors: Number(size) };
  };
  assert.equal((await guestCd()).magic, '', 'the drive is empty at first');

  const inserted = await redfish('POST', `${cd}/Actions/VirtualMedia.InsertMedia`, { Image: isoUrl });
  assert.equal(inserted.status, 204, `inserted at once: ${inserted.text}`);
  // The first read after a media change may fail (the drive's "medium changed" unit attention,
  // which Linux reports as an I/O error): the guest asks again, as any reader of a CD would.
  const seen = await until('the running guest to read the ISO', async () => {
    const r = await guestCd();
    return r.magic === 'CD001' ? r : undefined;
  }, 180_000);
  assert.deepEqual(seen, { magic: 'CD001', sectors }, 'the running guest sees the ISO');
  const shown = JSON.parse((await redfish('GET', cd)).text) as { Inserted: boolean; Status: { State: string } };
  assert.deepEqual([shown.Inserted, shown.Status.State], [true, 'Enabled']);

  const ejected = await redfish('POST', `${cd}/Actions/VirtualMedia.EjectMedia`, {});
  assert.equal(ejected.status, 204, ejected.text);
  await until('the running guest to see the medium gone', async () => (await guestCd()).magic === '', 180_000);
  assert.equal(await node.jsonpath('vmi', 'live', '{.metadata.uid}'), uid, 'the same VMI throughout: no restart');
  const reasons = await node.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=live', '-o', 'jsonpath={.items[*].message}']);
  assert.match(reasons, /the running guest has the change now/);
});
