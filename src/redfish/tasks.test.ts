import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CREDENTIALS_ANNOTATION } from './auth.ts';
import { MAX_TASKS, TaskTable, wantsAsync } from './tasks.ts';
import { MediaFetchError, type MediaStore } from './virtual-media.ts';
import { ADMIN, basic, body, messageId, setup, vm } from './test-fixture.ts';

/** A MediaStore whose downloads end when the test says so. */
function heldMedia() {
  const pending: Array<{ url: string; signal: AbortSignal | undefined; done: (ok: boolean) => void; onBytes: ((bytes: number, total: number | undefined) => void) | undefined }> = [];
  const media: MediaStore = {
    insert: (_uid, url, signal, onBytes) =>
      new Promise((resolve, reject) => pending.push({ url, signal, onBytes, done: (ok) => (ok ? resolve({ bytes: 4096 }) : reject(new MediaFetchError('unreachable', url, `cannot reach ${url}`))) })),
    eject: async () => {},
  };
  return { media, pending };
}
const tick = () => new Promise((r) => setImmediate(r));

test('InsertMedia with Prefer: respond-async: 202 + Location to a task monitor that answers 202 until the download ends', async (t) => {
  const { media, pending } = heldMedia();
  const { store, call } = setup(t, { media });
  const a = vm(store, 'node-a');
  const insert = `/redfish/v1/Systems/${a.metadata.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`;
  const started = call('POST', insert, { auth: ADMIN, prefer: 'respond-async', body: { Image: 'http://10.0.0.1/a.iso' } });
  assert.equal(started.status, 202);
  const monitor = started.headers.location as string;
  assert.match(monitor, /^\/redfish\/v1\/TaskService\/TaskMonitors\/\d+$/);
  const task = body(started);
  assert.deepEqual([task['@odata.type'], task.TaskState, task.TaskMonitor], ['#Task.v1_7_0.Task', 'Running', monitor]);
  assert.equal(pending[0]?.signal, undefined, 'the download is not tied to the request that started it');
  assert.equal(call('GET', monitor, { auth: ADMIN }).status, 202);
  assert.deepEqual(body(call('GET', '/redfish/v1/TaskService/Tasks', { auth: ADMIN })).Members, [{ '@odata.id': task['@odata.id'] }]);
  assert.equal(body(call('GET', `/redfish/v1/Systems/${a.metadata.uid}/VirtualMedia/Cd`, { auth: ADMIN })).Inserted, false, 'not inserted before the download ends');
  pending[0]?.done(true);
  await tick();
  assert.equal(call('GET', monitor, { auth: ADMIN }).status, 204, 'the monitor gives the operation\'s reply');
  const finished = body(call('GET', task['@odata.id'], { auth: ADMIN }));
  assert.deepEqual([finished.TaskState, finished.PercentComplete, typeof finished.EndTime], ['Completed', 100, 'string']);
  assert.equal(body(call('GET', `/redfish/v1/Managers/${a.metadata.uid}/VirtualMedia/Cd`, { auth: ADMIN })).Inserted, true);
  // Without Prefer, as before: the reply waits for the download.
  const plain = call('POST', insert, { auth: ADMIN, body: { Image: 'http://10.0.0.1/b.iso' } });
  assert.equal(plain.status, 204);
  assert.ok(pending[1]?.signal, 'a waiting request still cancels its download');
});

test('a failed asynchronous download: the Task ends in Exception with the Base message, the monitor gives the error', async (t) => {
  const { media, pending } = heldMedia();
  const { store, call } = setup(t, { media });
  const a = vm(store, 'node-a');
  const b = vm(store, 'node-b', { [CREDENTIALS_ANNOTATION]: 'bmc-b' });
  store.create({ group: '', resource: 'secrets' }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bmc-b', namespace: 'default' }, data: { username: Buffer.from('b').toString('base64'), password: Buffer.from('pw-b').toString('base64') } });
  const started = call('POST', `/redfish/v1/Managers/${a.metadata.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, prefer: 'respond-async', body: { Image: 'http://10.0.0.1/missing.iso' } });
  pending[0]?.done(false);
  await tick();
  const monitor = call('GET', started.headers.location as string, { auth: ADMIN });
  assert.deepEqual([monitor.status, messageId(monitor)], [400, 'Base.1.15.CouldNotEstablishConnection']);
  const task = body(call('GET', body(started)['@odata.id'], { auth: ADMIN }));
  assert.deepEqual([task.TaskState, task.TaskStatus, task.Messages[0]?.MessageId], ['Exception', 'Warning', 'Base.1.15.CouldNotEstablishConnection']);
  // node-b's account does not see node-a's task.
  const other = basic('b', 'pw-b');
  assert.equal(body(call('GET', '/redfish/v1/TaskService/Tasks', { auth: other }))['Members@odata.count'], 0);
  assert.equal(call('GET', body(started)['@odata.id'], { auth: other }).status, 404);
  assert.equal(call('DELETE', body(started)['@odata.id'], { auth: ADMIN }).status, 405);
  assert.equal(b.metadata.name, 'node-b');
});

test('TaskTable keeps at most MAX_TASKS, dropping the oldest finished first; Prefer parsing', async () => {
  const table = new TaskTable(() => 0);
  const admin = { user: 'admin', all: true } as const;
  const done = Promise.resolve({ status: 204, headers: {}, body: '' });
  for (let i = 0; i < MAX_TASKS; i++) table.start(`t${i}`, 'vm', admin, done);
  await tick();
  for (let i = MAX_TASKS; i < MAX_TASKS + 5; i++) table.start(`t${i}`, 'vm', admin, done);
  const ids = table.list(admin).map((t) => t.name);
  assert.equal(ids.length, MAX_TASKS);
  assert.equal(ids[0], 't5', 'the oldest finished went first');
  const busy = new TaskTable(() => 0);
  const never = new Promise<never>(() => {});
  for (let i = 0; i < MAX_TASKS; i++) busy.start(`r${i}`, 'vm', admin, never);
  assert.throws(() => busy.start('one more', 'vm', admin, never), /tasks are running/);
  assert.ok(wantsAsync('respond-async') && wantsAsync('wait=10, respond-async') && !wantsAsync(undefined) && !wantsAsync('return=minimal'));
});

test('a running download shows PercentComplete of the announced size (never 100 before it ends); the service says tasks end with the daemon', async (t) => {
  const { media, pending } = heldMedia();
  let now = Date.parse('2026-12-05T10:00:00Z');
  const { store, call } = setup(t, { media, now: () => now });
  const a = vm(store, 'node-a');
  const started = call('POST', `/redfish/v1/Systems/${a.metadata.uid}/VirtualMedia/Cd/Actions/VirtualMedia.InsertMedia`, { auth: ADMIN, prefer: 'respond-async', body: { Image: 'http://10.0.0.1/a.iso' } });
  const taskPath = body(started)['@odata.id'] as string;
  const percent = () => body(call('GET', taskPath, { auth: ADMIN })).PercentComplete;
  assert.equal(percent(), undefined, 'nothing known yet: no PercentComplete');
  pending[0]?.onBytes?.(1024, 4096);
  assert.equal(percent(), 25);
  pending[0]?.onBytes?.(4096, 4096);
  assert.equal(percent(), 99, 'all bytes in, the image not yet checked and in place');
  pending[0]?.onBytes?.(8192, undefined);
  assert.equal(percent(), undefined, 'no Content-Length: no percentage');
  now += 5000;
  pending[0]?.done(true);
  await tick();
  assert.equal(percent(), 100);
  const service = body(call('GET', '/redfish/v1/TaskService', { auth: ADMIN }));
  assert.match(service.Description, /since the service started at 2026-12-05T10:00:00\.000Z; a daemon restart ends the downloads under way and forgets every task/);
  assert.equal(service.DateTime, '2026-12-05T10:00:05.000Z');
  assert.match(body(call('GET', '/redfish/v1/TaskService/Tasks', { auth: ADMIN })).Description, /a daemon restart/);
});
