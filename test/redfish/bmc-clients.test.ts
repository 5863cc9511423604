// The Redfish BMC of `pxevirt up` driven by real clients from Debian — sushy (the library Ironic
// uses), DMTF's redfishtool and sushycli — against a daemon whose runtime is the fake one (the
// guest-side boots are in bmc-install-flow.test.ts); a walk of the whole tree from the service
// root that fails on any dangling @odata.id; and bad input that gets Base registry errors and
// changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { startInProcessDaemon } from '../helpers/in-process-daemon.ts';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SUSHY_DRIVE = new URL('./clients/sushy_drive.py', import.meta.url).pathname;

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: any };

async function setup(t: import('node:test').TestContext) {
  const { daemon, runtime, token, ca, caFile } = await startInProcessDaemon(t, { nodeName: 'node-x', prefix: 'pxevirt-redfish-' });
  const call = (method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) =>
    new Promise<Reply>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: daemon.port, method, path, ca, headers: { 'content-type': 'application/json', ...o.headers } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON ($metadata)
          }
          done({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      });
      req.on('error', fail);
      req.end(o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
    });
  const kube = (method: string, path: string, body?: unknown) => call(method, path, { headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) });
  const created = await kube('POST', '/apis/kubevirt.io/v1/namespaces/default/virtualmachines', {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name: 'node-a' },
    spec: {
      runStrategy: 'Halted',
      template: {
        spec: {
          domain: {
            firmware: { bootloader: { efi: { secureBoot: false } } },
            resources: { requests: { memory: '256Mi' } },
            devices: { disks: [{ name: 'root', bootOrder: 1, disk: { bus: 'virtio' } }], interfaces: [{ name: 'pxe', bridge: {}, macAddress: '02:00:00:aa:00:01' }] },
          },
          networks: [{ name: 'pxe', multus: { networkName: 'pxe-net' } }],
          volumes: [{ name: 'root', containerDisk: { image: 'example/disk:1' } }],
        },
      },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const vm = created.body as { metadata: { uid: string; resourceVersion: string } };
  const admin = `Basic ${Buffer.from(`admin:${token}`).toString('base64')}`;
  // The clients verify the daemon's certificate against its CA (requests reads REQUESTS_CA_BUNDLE).
  const env = { ...process.env, REQUESTS_CA_BUNDLE: caFile, CURL_CA_BUNDLE: caFile };
  return { daemon, runtime, token, call, kube, uid: vm.metadata.uid, admin, url: `https://127.0.0.1:${daemon.port}`, caFile, env };
}

test('sushy powers a VM on and off and sets a one-time PXE boot; redfishtool and sushycli read and act', async (t) => {
  const s = await setup(t);
  const sushy = async (...steps: string[]) => JSON.parse((await run(PYTHON, [SUSHY_DRIVE, s.url, 'admin', s.token, s.caFile, ...steps], { env: s.env })).stdout) as Array<Record<string, any>>;
  const steps = await sushy('state', 'allowed', 'nics', 'firmware', 'boot:Pxe:Once', 'state', 'reset:On', 'wait:on', 'state');
  const at = (name: string, n = 0) => steps.filter((x) => x.step === name)[n];
  assert.deepEqual(at('systems'), { step: 'systems', ids: [s.uid], name: 'node-a' });
  assert.deepEqual(at('state'), { step: 'state', power: 'Off', target: 'None', enabled: 'Disabled', mode: 'UEFI' });
  assert.ok(at('allowed')?.reset.includes('GracefulShutdown') && at('allowed')?.targets.includes('Pxe'));
  assert.deepEqual(at('nics')?.macs, ['02:00:00:aa:00:01']);
  const systemUuid = (await s.call('GET', `/redfish/v1/Systems/${s.uid}`, { headers: { authorization: s.admin } })).body.UUID;
  assert.deepEqual(at('firmware'), { step: 'firmware', attributes: { BootMode: 'Uefi', SecureBoot: 'Disabled', PersistentEfiVariables: 'Disabled', Architecture: 'amd64', SystemUuid: systemUuid }, secure_boot: false, mode: 'SetupMode', current: null });
  assert.deepEqual([at('state', 1)?.target, at('state', 1)?.enabled], ['Pxe', 'Once']);
  // Powered on, the one-time override went into the VMI and is used up on the VM.
  assert.deepEqual([at('state', 2)?.power, at('state', 2)?.enabled], ['On', 'Disabled']);
  const vmi = await s.kube('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances/node-a');
  assert.equal(vmi.body.metadata.annotations['bmc.pxevirt.io/boot-override'], JSON.stringify({ target: 'Pxe', enabled: 'Once', mode: 'UEFI' }));
  steps.push(...(await sushy('reset:ForceRestart', 'reset:ForceOff', 'wait:off')));
  assert.ok(s.runtime.calls.includes(`reset ${vmi.body.metadata.uid}`), `ForceRestart is a QMP reset: ${s.runtime.calls.join(', ')}`);
  assert.equal(at('wait:off')?.power, 'Off');
  const events = await s.kube('GET', '/api/v1/namespaces/default/events');
  const reasons = (events.body.items as Array<{ reason: string; message: string }>).filter((e) => e.reason.startsWith('BMC')).map((e) => e.message);
  for (const m of ['Redfish boot override set by admin: Pxe Once (UEFI)', 'Redfish ComputerSystem.Reset On by admin: VirtualMachine start', 'Redfish ComputerSystem.Reset ForceOff by admin: VirtualMachine stop at once'])
    assert.ok(reasons.includes(m), `an Event "${m}" in ${JSON.stringify(reasons)}`);

  // DMTF's redfishtool: read the system, set a continuous Hdd override, power on.
  const rt = (...args: string[]) => run('redfishtool', ['-r', `127.0.0.1:${s.daemon.port}`, '-u', 'admin', '-p', s.token, '-S', 'Always', ...args], { env: s.env });
  const got = JSON.parse((await rt('Systems', '-I', s.uid, 'get')).stdout) as Record<string, any>;
  assert.deepEqual([got.Id, got.Name, got.PowerState], [s.uid, 'node-a', 'Off']);
  await rt('Systems', '-I', s.uid, 'setBootOverride', 'Continuous', 'Hdd');
  await rt('Systems', '-I', s.uid, 'reset', 'On');
  const after = (await s.call('GET', `/redfish/v1/Systems/${s.uid}`, { headers: { authorization: s.admin } })).body;
  assert.deepEqual([after.Boot.BootSourceOverrideTarget, after.Boot.BootSourceOverrideEnabled], ['Hdd', 'Continuous'], 'Continuous stays after power-on');
  const nicList = JSON.parse((await rt('Systems', '-I', s.uid, 'EthernetInterfaces', '-a')).stdout) as unknown;
  assert.match(JSON.stringify(nicList), /02:00:00:aa:00:01/);

  // sushycli: list the systems, show the power state, power off. (`-f value`: its JSON formatter cannot print sushy 4's enums.)
  const cli = (...args: string[]) => run('sushycli', [...args, '--service-endpoint', s.url, '--username', 'admin', `--password=${s.token}`, '--tls-certificates', s.caFile], { env: s.env });
  const system = ['--system-id', `/redfish/v1/Systems/${s.uid}`];
  assert.match((await cli('system', 'list', '-f', 'value')).stdout, new RegExp(s.uid));
  assert.match((await cli('system', 'power', 'show', ...system, '-f', 'value')).stdout, /\bon\b/i);
  await cli('system', 'power', 'off', ...system);
  const vmNow = (await s.kube('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachines/node-a')).body;
  assert.equal(vmNow.spec.runStrategy, 'Halted', 'sushycli power off stopped the VM');
});

test('every @odata.id reachable from the service root resolves, with its @odata.type and @odata.context', async (t) => {
  const s = await setup(t);
  const seen = new Set<string>();
  const queue = ['/redfish/v1/'];
  const dangling: string[] = [];
  const links = (v: unknown, out: string[]): void => {
    if (Array.isArray(v)) for (const x of v) links(x, out);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) k === '@odata.id' && typeof x === 'string' ? out.push(x) : links(x, out);
  };
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const r = await s.call('GET', path, { headers: { authorization: s.admin } });
    if (r.status !== 200) {
      dangling.push(`${path} → ${r.status}`);
      continue;
    }
    assert.equal(r.body['@odata.id'], path, `${path} names itself`);
    assert.match(r.body['@odata.type'], /^#\w+(\.v\d+_\d+_\d+)?\.\w+$/, `${path} has an @odata.type`);
    assert.match(r.body['@odata.context'], /^\/redfish\/v1\/\$metadata#\w+\.\w+$/, `${path} has an @odata.context`);
    if (Array.isArray(r.body.Members)) assert.equal(r.body['Members@odata.count'], r.body.Members.length, `${path} counts its members`);
    const found: string[] = [];
    links(r.body, found);
    queue.push(...found.filter((f) => f !== path));
  }
  assert.deepEqual(dangling, []);
  for (const p of [`/redfish/v1/Systems/${s.uid}`, `/redfish/v1/Managers/${s.uid}`, `/redfish/v1/Chassis/${s.uid}`, `/redfish/v1/Systems/${s.uid}/EthernetInterfaces/pxe`, `/redfish/v1/Managers/${s.uid}/VirtualMedia/Cd`, `/redfish/v1/Systems/${s.uid}/VirtualMedia/Cd`, `/redfish/v1/Systems/${s.uid}/Bios`, `/redfish/v1/Systems/${s.uid}/SecureBoot`, '/redfish/v1/SessionService/Sessions', '/redfish/v1/TaskService/Tasks'])
    assert.ok(seen.has(p), `${p} is reachable from the root`);
  assert.equal((await s.call('GET', '/redfish/v1/$metadata')).status, 200);
});

test('bad input gets the Base registry message ids and changes nothing', async (t) => {
  const s = await setup(t);
  const auth = { authorization: s.admin };
  const before = (await s.kube('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachines/node-a')).body.metadata.resourceVersion;
  const id = (r: Reply) => `${r.status} ${r.body?.error?.['@Message.ExtendedInfo']?.[0]?.MessageId}`;
  const reset = `/redfish/v1/Systems/${s.uid}/Actions/ComputerSystem.Reset`;
  assert.equal(id(await s.call('POST', reset, { headers: auth, body: { ResetType: 'Reboot' } })), '400 Base.1.15.ActionParameterValueNotInList');
  assert.equal(id(await s.call('PATCH', `/redfish/v1/Systems/${s.uid}`, { headers: auth, body: { Boot: { BootSourceOverrideTarget: 'BiosSetup', BootSourceOverrideEnabled: 'Once' } } })), '400 Base.1.15.PropertyValueNotInList');
  assert.equal(id(await s.call('PATCH', `/redfish/v1/Systems/${s.uid}`, { headers: auth, body: { Boot: { BootSourceOverrideEnabled: 'Always' } } })), '400 Base.1.15.PropertyValueNotInList');
  const wrong = await s.call('GET', `/redfish/v1/Systems/${s.uid}`, { headers: { authorization: `Basic ${Buffer.from('admin:nope').toString('base64')}` } });
  assert.equal(id(wrong), '401 Base.1.15.NoValidSession');
  assert.match(String(wrong.headers['www-authenticate']), /^Basic /);
  assert.equal(id(await s.call('POST', reset, { headers: { 'x-auth-token': 'made-up' }, body: { ResetType: 'On' } })), '401 Base.1.15.NoValidSession');
  assert.equal(id(await s.call('GET', '/redfish/v1/Systems/00000000-0000-0000-0000-000000000000', { headers: auth })), '404 Base.1.15.ResourceNotFound');
  // Bad media URLs: not http(s), nobody listening, a 404 — the virtual CD stays empty.
  const insert = `/redfish/v1/Managers/${s.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;
  assert.equal(id(await s.call('POST', insert, { headers: auth, body: { Image: 'file:///etc/shadow' } })), '400 Base.1.15.ActionParameterValueFormatError');
  const closed = createServer();
  await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
  const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone.iso`;
  await new Promise<void>((ok) => closed.close(() => ok()));
  assert.equal(id(await s.call('POST', insert, { headers: auth, body: { Image: deadUrl } })), '400 Base.1.15.CouldNotEstablishConnection');
  assert.equal((await s.call('GET', `/redfish/v1/Managers/${s.uid}/VirtualMedia/Cd`, { headers: auth })).body.Inserted, false);
  const after = (await s.kube('GET', '/apis/kubevirt.io/v1/namespaces/default/virtualmachines/node-a')).body.metadata.resourceVersion;
  assert.equal(after, before, 'the VM is unchanged');
  assert.deepEqual(s.runtime.calls.filter((c) => !c.startsWith('adopt')), [], 'no guest was started or touched');
  // Wrong passwords from one address: after five (the one above counts), 429 with Retry-After, even for the right one.
  const guesses = [];
  for (let i = 0; i < 4; i++) guesses.push(id(await s.call('GET', '/redfish/v1/Systems', { headers: { authorization: `Basic ${Buffer.from(`admin:guess${i}`).toString('base64')}` } })));
  assert.deepEqual(guesses, Array(4).fill('401 Base.1.15.NoValidSession'));
  const blocked = await s.call('POST', '/redfish/v1/SessionService/Sessions', { body: { UserName: 'admin', Password: s.token } });
  assert.equal(id(blocked), '429 Base.1.15.ServiceTemporarilyUnavailable');
  assert.match(String(blocked.headers['retry-after']), /^[1-9]\d*$/);
});

test('pxevirt bmc list and bmc baremetalhost print the Redfish address, credentials and boot MAC', async (t) => {
  const s = await setup(t);
  const pxevirt = new URL('../../bin/pxevirt', import.meta.url).pathname;
  const list = (await run(pxevirt, ['bmc', 'list', '--kubeconfig', s.daemon.kubeconfigPath])).stdout;
  assert.match(list, new RegExp(`default\\s+node-a\\s+https://127\\.0\\.0\\.1:${s.daemon.port}/redfish/v1/Systems/${s.uid}\\s+admin \\(the API token\\)`));
  const text = (await run(pxevirt, ['bmc', 'baremetalhost', 'node-a', '--driver', 'redfish-virtualmedia', '--kubeconfig', s.daemon.kubeconfigPath])).stdout;
  const host = parse(text.slice(text.indexOf('---'))) as { kind: string; spec: { bootMACAddress: string; bmc: { address: string; credentialsName: string } } };
  assert.equal(host.kind, 'BareMetalHost');
  assert.equal(host.spec.bootMACAddress, '02:00:00:aa:00:01');
  assert.equal(host.spec.bmc.address, `redfish-virtualmedia://127.0.0.1:${s.daemon.port}/redfish/v1/Systems/${s.uid}`);
  assert.equal(host.spec.bmc.credentialsName, 'node-a-bmc');
  assert.match(text, /openstack baremetal node create --driver redfish/);
});

test('the same sequence with curl (test/redfish/clients/curl-sequence.sh): session, one-time PXE, power, Hdd for good, ISO insert, Cd once, eject, bad media, sign out', async (t) => {
  const s = await setup(t);
  // An ISO 9660 look-alike (CD001 where the volume descriptor has it), served on loopback.
  const iso = Buffer.alloc(40_960);
  iso.write('\x01CD001', 32768, 'latin1');
  const server = createServer((_req, res) => res.end(iso));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const isoUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/media.iso`;
  const script = new URL('./clients/curl-sequence.sh', import.meta.url).pathname;
  const { stdout } = await run(script, [s.url, 'admin', s.token, s.caFile, isoUrl], { env: { ...s.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` } });
  const lines = stdout.trim().split('\n');
  assert.equal(lines[0], 'root 200 1.15.0');
  assert.match(lines[1] ?? '', /^session 201 \/redfish\/v1\/SessionService\/Sessions\/[0-9a-f]+$/);
  assert.equal(lines[2], `systems 200 /redfish/v1/Systems/${s.uid}`);
  assert.deepEqual([lines[3], lines[4]], ['boot 200 Pxe Once', 'reset 204']);
  assert.match(lines[5] ?? '', /^state 200 (PoweringOn|On)$/);
  assert.deepEqual(lines.slice(6), [
    'off 204',
    'hdd 200 Hdd Continuous',
    'media 200 False NotConnected',
    'insert 204',
    `inserted 200 True ${isoUrl}`,
    'cd 200 Cd Once',
    'on 204',
    'eject 204',
    'ejected 200 False',
    'bad-media 400 Base.1.15.ActionParameterValueFormatError',
    'signout 204',
    'after-signout 401',
  ]);
  // The same insert asked for asynchronously, through the System's CD: 202, a task monitor, then the operation's 204.
  const auth = { authorization: s.admin };
  const started = await s.call('POST', `/redfish/v1/Systems/${s.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`, { headers: { ...auth, prefer: 'respond-async' }, body: { Image: isoUrl } });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const monitor = String(started.headers.location);
  assert.match(monitor, /^\/redfish\/v1\/TaskService\/TaskMonitors\/\d+$/);
  let polled = await s.call('GET', monitor, { headers: auth });
  while (polled.status === 202) {
    await new Promise((r) => setTimeout(r, 20)); // a poll interval, as a client's
    polled = await s.call('GET', monitor, { headers: auth });
  }
  assert.equal(polled.status, 204);
  assert.equal((await s.call('GET', started.body['@odata.id'], { headers: auth })).body.TaskState, 'Completed');
  assert.equal((await s.call('GET', `/redfish/v1/Managers/${s.uid}/VirtualMedia/Cd`, { headers: auth })).body.Image, isoUrl);
});
