// The portforward subresource without sockets: path parsing, the binding → target rule, and
// the upgrade's life with a fake node (data, close frames, the per-VMI cap); guestosinfo's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.ts';
import { GuestPortError, type GuestAccess, type GuestConnection, type GuestPortRequest } from './guest-access.ts';
import { isUpgrade, type ApiResponse, type ByteChannel } from './http-types.ts';
import { CLOSE_GUEST_ERROR, MAX_FORWARDS_PER_VMI, createPortForward, parsePortForward, portForwardTarget } from './vmi-portforward.ts';
import { matchVmiSubresource } from './vmi-subresources.ts';
import type { StoredObject } from '../store/types.ts';

const vmi = (iface: Record<string, unknown>, status: Record<string, unknown> = { phase: 'Running' }, networks: unknown[] = [{ name: 'default', pod: {} }]): StoredObject => ({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'v1', namespace: 'ns', uid: 'u1', resourceVersion: '1', creationTimestamp: '' } as StoredObject['metadata'],
  spec: { domain: { devices: { interfaces: [{ name: 'default', ...iface }] } }, networks },
  status,
});

test('matches portforward/{port} and portforward/{port}/{protocol}, nothing longer or shorter', () => {
  const base = '/apis/subresources.kubevirt.io/v1/namespaces/ns/virtualmachineinstances/v1';
  assert.deepEqual(matchVmiSubresource(`${base}/portforward/22`), { version: 'v1', namespace: 'ns', name: 'v1', subresource: 'portforward', port: '22' });
  assert.deepEqual(matchVmiSubresource(`${base}/portforward/53/udp`), { version: 'v1', namespace: 'ns', name: 'v1', subresource: 'portforward', port: '53', protocol: 'udp' });
  assert.equal(matchVmiSubresource(`${base}/portforward`), undefined);
  assert.equal(matchVmiSubresource(`${base}/portforward/1/tcp/x`), undefined);
  assert.equal(matchVmiSubresource(`${base}/guestosinfo`)?.subresource, 'guestosinfo');
});

test('a port is 1 to 65535 and a protocol tcp (the default) or udp, else a 400 naming the value', () => {
  assert.deepEqual(parsePortForward('22', undefined), { port: 22, protocol: 'tcp' });
  assert.deepEqual(parsePortForward('53', 'UDP'), { port: 53, protocol: 'udp' });
  assert.throws(() => parsePortForward('0', undefined), /port must be an integer from 1 to 65535, found "0"/);
  assert.throws(() => parsePortForward('65536', undefined), /found "65536"/);
  assert.throws(() => parsePortForward('2x', undefined), /found "2x"/);
  assert.throws(() => parsePortForward('22', 'sctp'), /protocol must be tcp or udp, found "sctp"/);
});

test('masquerade forwards any port; bridge needs the guest address from status; other networks are refused', () => {
  assert.deepEqual(portForwardTarget(vmi({ masquerade: {} }), 8080, 'tcp'), { port: 8080, protocol: 'tcp', binding: 'masquerade' });
  const bridged = vmi({ bridge: {} }, { phase: 'Running', interfaces: [{ name: 'default', ipAddress: '10.244.0.7' }] });
  assert.deepEqual(portForwardTarget(bridged, 22, 'udp'), { port: 22, protocol: 'udp', binding: 'bridge', guestAddress: '10.244.0.7' });
  assert.throws(() => portForwardTarget(vmi({ bridge: {} }), 22, 'tcp'), (e: unknown) => e instanceof ApiError && e.code === 503 && /no address is known for interface default/.test(e.message));
  assert.throws(() => portForwardTarget(vmi({ bridge: {} }, {}, [{ name: 'default', multus: { networkName: 'n' } }]), 22, 'tcp'), /has no pod network interface/);
  assert.throws(() => portForwardTarget(vmi({ sriov: {} }), 22, 'tcp'), /supports the masquerade and bridge bindings, found sriov/);
});

/** A fake guest connection the test drives. */
function fakeConnection() {
  let data: (b: Buffer) => void = () => undefined;
  let end: (error?: string) => void = () => undefined;
  const written: Buffer[] = [];
  let closed = false;
  const conn: GuestConnection = { write: (b) => void written.push(b), onData: (l) => void (data = l), onEnd: (l) => void (end = l), close: () => void (closed = true) };
  return { conn, written, send: (b: Buffer) => data(b), end: (e?: string) => end(e), closed: () => closed };
}

function fakeChannel() {
  const sent: Buffer[] = [];
  let closedWith: { code?: number; reason?: string } | undefined;
  let message: (b: Buffer) => void = () => undefined;
  let onClose: () => void = () => undefined;
  const channel: ByteChannel = { send: (b) => void sent.push(b), close: (code, reason) => void (closedWith = { ...(code !== undefined ? { code } : {}), ...(reason !== undefined ? { reason } : {}) }), onMessage: (l) => void (message = l), onClose: (l) => void (onClose = l) };
  return { channel, sent, closedWith: () => closedWith, type: (b: Buffer) => message(b), hangUp: () => onClose() };
}

async function upgrade(res: ApiResponse) {
  assert.ok(isUpgrade(res.body));
  return res.body.upgrade.connect();
}

test('bytes flow both ways; a guest that closes after answering ends with 1000, one that says nothing with 1011 and why', async () => {
  const conns: Array<ReturnType<typeof fakeConnection>> = [];
  const requests: GuestPortRequest[] = [];
  const guests = { ports: { connect: async (_uid: string, r: GuestPortRequest) => (requests.push(r), conns.push(fakeConnection()), conns.at(-1)!.conn) } } as unknown as GuestAccess;
  const forward = createPortForward(guests);
  const target = await upgrade(forward(vmi({ masquerade: {} }), { port: 80, protocol: 'tcp', binding: 'masquerade' }));
  const ch = fakeChannel();
  target.open(ch.channel);
  ch.type(Buffer.from('GET /'));
  assert.equal(conns[0]?.written.toString(), 'GET /');
  conns[0]?.send(Buffer.from('200 OK'));
  conns[0]?.end();
  assert.equal(Buffer.concat(ch.sent).toString(), '200 OK');
  assert.deepEqual(ch.closedWith(), { code: 1000, reason: '' });

  const silent = await upgrade(forward(vmi({ masquerade: {} }), { port: 9999, protocol: 'tcp', binding: 'masquerade' }));
  const ch2 = fakeChannel();
  silent.open(ch2.channel);
  conns[1]?.end();
  assert.deepEqual(ch2.closedWith(), { code: CLOSE_GUEST_ERROR, reason: 'port 9999/tcp of VMI v1 closed before sending a byte: is anything listening?' });

  const failing = await upgrade(forward(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' }));
  const ch3 = fakeChannel();
  failing.open(ch3.channel);
  conns[2]?.end('Connection refused');
  assert.deepEqual(ch3.closedWith(), { code: CLOSE_GUEST_ERROR, reason: 'port 22/tcp of VMI v1: Connection refused' });

  // The client hanging up closes the guest's side.
  const hung = await upgrade(forward(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' }));
  const ch4 = fakeChannel();
  hung.open(ch4.channel);
  ch4.hangUp();
  assert.equal(conns[3]?.closed(), true);
});

test('the node\'s refusal is a Status before the upgrade, and a VMI has at most MAX_FORWARDS_PER_VMI open', async () => {
  const refusing = createPortForward({ ports: { connect: async () => Promise.reject(new GuestPortError('VMI is not running', true)) } } as unknown as GuestAccess);
  await assert.rejects(upgrade(refusing(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' })), (e: unknown) => e instanceof ApiError && e.code === 503 && e.message === 'cannot reach port 22/tcp of VMI v1: VMI is not running');
  const none = createPortForward(undefined);
  await assert.rejects(upgrade(none(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' })), /runs no guests/);

  const forward = createPortForward({ ports: { connect: async () => fakeConnection().conn } } as unknown as GuestAccess);
  const open = [];
  for (let i = 0; i < MAX_FORWARDS_PER_VMI; i++) open.push(await upgrade(forward(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' })));
  await assert.rejects(upgrade(forward(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' })), (e: unknown) => e instanceof ApiError && e.code === 429);
  open[0]?.abort();
  await upgrade(forward(vmi({ masquerade: {} }), { port: 22, protocol: 'tcp', binding: 'masquerade' }));
});
