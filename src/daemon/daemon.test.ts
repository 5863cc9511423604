import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { silentLogger } from '../lib/logger.ts';
import { RunAsUserError } from '../runtime/run-as.ts';
import { parseListen, parseRegistryMirrors, startDaemon } from './daemon.ts';

test('parses HOST:PORT listen addresses and names the expected form otherwise', () => {
  assert.deepEqual(parseListen('127.0.0.1:6443'), { host: '127.0.0.1', port: 6443 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen('localhost:8443'), { host: 'localhost', port: 8443 });
  assert.throws(() => parseListen('6443'), /--listen must be HOST:PORT \(e\.g\. 127\.0\.0\.1:6443\), found "6443"/);
  assert.throws(() => parseListen('h:70000'), /found "h:70000"/);
});

test('serves HTTPS with a certificate its kubeconfig CA verifies, and keeps CA and token across restarts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const daemon = await startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger });
  t.after(() => daemon.close());
  assert.equal(statSync(daemon.kubeconfigPath).mode & 0o777, 0o600);
  const config = parse(readFileSync(daemon.kubeconfigPath, 'utf8')) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
    users: Array<{ user: { token: string } }>;
  };
  const cluster = config.clusters[0]!.cluster;
  assert.equal(cluster.server, `https://127.0.0.1:${daemon.port}`);
  const ca = Buffer.from(cluster['certificate-authority-data'], 'base64');
  const token = config.users[0]!.user.token;
  const get = (path: string, auth: string) =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: daemon.port, path, ca, headers: { authorization: auth } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', fail);
      req.end();
    });
  const ns = await get('/api/v1/namespaces/default', `Bearer ${token}`);
  assert.equal(ns.status, 200);
  assert.equal((JSON.parse(ns.body) as { metadata: { name: string } }).metadata.name, 'default');
  assert.equal((await get('/api/v1/namespaces', 'Bearer nope')).status, 401);
  await daemon.close();

  const again = await startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger });
  t.after(() => again.close());
  const config2 = parse(readFileSync(again.kubeconfigPath, 'utf8')) as typeof config;
  assert.equal(config2.users[0]!.user.token, token);
  assert.equal(config2.clusters[0]!.cluster['certificate-authority-data'], cluster['certificate-authority-data']);
});

test('registry mirrors parse from repeatable REGISTRY=URL options', () => {
  assert.deepEqual(parseRegistryMirrors(['docker.io=http://127.0.0.1:5000', 'quay.io=https://mirror.example/quay']), {
    'docker.io': 'http://127.0.0.1:5000',
    'quay.io': 'https://mirror.example/quay',
  });
  assert.throws(() => parseRegistryMirrors(['docker.io']), /--registry-mirror must be REGISTRY=URL \(e\.g\. docker\.io=http:\/\/127\.0\.0\.1:5000\), found "docker\.io"/);
});

test('runs the controllers with the given runtime, serves /metrics, and leaves guests running on close', async (t) => {
  const { createFakeRuntime } = await import('../controllers/fake-runtime.ts');
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const runtime = createFakeRuntime();
  const daemon = await startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger, runtime, nodeName: 'node-x' });
  t.after(() => daemon.close());
  const config = parse(readFileSync(daemon.kubeconfigPath, 'utf8')) as { clusters: Array<{ cluster: { 'certificate-authority-data': string } }>; users: Array<{ user: { token: string } }> };
  const ca = Buffer.from(config.clusters[0]!.cluster['certificate-authority-data'], 'base64');
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request({ host: '127.0.0.1', port: daemon.port, method, path, ca, headers: { authorization: `Bearer ${config.users[0]!.user.token}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', fail);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const vmis = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';
  const created = await call('POST', vmis, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'v' }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } });
  assert.equal(created.status, 201, created.body);
  let status: { phase?: string; nodeName?: string } = {};
  for (let i = 0; i < 200 && status.phase !== 'Running'; i++) {
    await new Promise((r) => setTimeout(r, 20));
    status = (JSON.parse((await call('GET', `${vmis}/v`)).body) as { status: typeof status }).status;
  }
  assert.equal(status.phase, 'Running');
  assert.equal(status.nodeName, 'node-x');
  const metrics = await call('GET', '/metrics');
  assert.match(metrics.body, /pxevirt_vmi_phase\{phase="Running"\} 1/);
  assert.match(metrics.body, /pxevirt_qemu_processes 1/);
  await daemon.close();
  const uid = [...runtime.guests.keys()][0]!;
  assert.equal(runtime.observe(uid)?.state, 'running', 'closing the daemon does not stop guests');
  assert.deepEqual(runtime.calls.filter((c) => c.startsWith('stop')), []);
});

test('a QEMU user that does not exist stops the start, naming the setting, and leaves the data dir usable', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger, qemuUser: 'pxevirt-no-such-user' }), (err: unknown) => {
    assert.ok(err instanceof RunAsUserError);
    assert.match(err.message, /^qemuUser: expected an existing user other than root .*, found "pxevirt-no-such-user": no such user$/);
    return true;
  });
  const daemon = await startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger, qemuUser: 'root' });
  await daemon.close();
});
