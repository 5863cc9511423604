// The CLI against a real `pxevirt up` over the daemon's unix socket and over HTTPS, the socket's
// permissions seen by a non-root user, and a restart after kill -9 that finds the socket file left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemonProcess, tempDataDir, type DaemonProcess } from '../api/daemon-process.ts';
import { pxevirt, watchUntil } from './cli-process.ts';

const VMI = (name: string) => `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: ${name}
spec:
  domain:
    devices: {}
    resources:
      requests:
        memory: 64Mi
`;

/** A copy of the daemon's kubeconfig changed by `edit`, written beside it. */
function kubeconfigVariant(d: DaemonProcess, name: string, edit: (text: string) => string): string {
  const path = join(d.dataDir, `kubeconfig-${name}`);
  writeFileSync(path, edit(readFileSync(d.kubeconfig, 'utf8')), { mode: 0o600 });
  return path;
}

/** A port nothing listens on: HTTPS to it is refused, so only the socket can answer. */
const deadHttps = (text: string) => text.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1');

/** Connects to `path` as user nobody (setpriv): the error code, or 'connected'. */
function connectAsNobody(path: string): Promise<string> {
  const script = `require('node:net').connect(${JSON.stringify(path)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); })`;
  return new Promise((done, fail) =>
    execFile('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { timeout: 30_000 }, (err, stdout, stderr) => (err ? fail(new Error(`setpriv failed: ${stderr}`)) : done(stdout.trim()))),
  );
}

test('pxevirt over the local socket and over HTTPS', async (t) => {
  const d = await startDaemonProcess(t);
  const socket = join(d.dataDir, 'api', 'api.sock');
  assert.match(readFileSync(d.kubeconfig, 'utf8'), /name: pxevirt\.io\/socket\n\s+extension:\n\s+path: .*\/api\/api\.sock/);
  assert.equal((await d.kubectl(['create', '-f', '-'], VMI('over-https'))).code, 0, 'kubectl (HTTPS, ignoring the extension) creates');

  await t.test('reads and writes over the socket alone (its HTTPS port dead)', async () => {
    const env = { KUBECONFIG: kubeconfigVariant(d, 'socket-only', deadHttps) };
    const made = await pxevirt(undefined, ['create', '-f', '-'], { input: VMI('over-socket'), env });
    assert.equal(made.code, 0, made.stderr);
    const r = await pxevirt(undefined, ['get', 'vmi'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME\s+AGE\s+PHASE/);
    assert.match(r.stdout, /over-https/);
    assert.match(r.stdout, /over-socket/);
    const kubectl = await d.kubectl(['--kubeconfig', env.KUBECONFIG, 'get', 'vmi']);
    assert.notEqual(kubectl.code, 0, 'kubectl, on HTTPS, cannot reach the dead port');
  });

  await t.test('streams a watch over the socket', async () => {
    const env = { ...process.env, KUBECONFIG: kubeconfigVariant(d, 'watch', deadHttps) };
    const out = await watchUntil({ ...d, kubeconfig: env.KUBECONFIG }, ['get', 'vmi'], () => d.kubectl(['create', '-f', '-'], VMI('watched')), (text) => /watched/.test(text));
    assert.match(out, /watched/);
  });

  await t.test('uses HTTPS when the kubeconfig names no socket, or a socket that is gone', async () => {
    const noExtension = kubeconfigVariant(d, 'https', (text) => text.replace(/\n\s+extensions:\n\s+- name: pxevirt\.io\/socket\n\s+extension:\n\s+path: \S+/, ''));
    assert.doesNotMatch(readFileSync(noExtension, 'utf8'), /pxevirt\.io\/socket/);
    const gone = kubeconfigVariant(d, 'gone', (text) => text.replace(/path: \S+api\.sock/, `path: ${join(d.dataDir, 'api', 'missing.sock')}`));
    for (const KUBECONFIG of [noExtension, gone]) {
      const r = await pxevirt(undefined, ['get', 'vmi', 'over-https'], { env: { KUBECONFIG } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /over-https/);
    }
  });

  await t.test('a non-root user cannot connect, by the directory and by the socket itself', async () => {
    assert.equal(lstatSync(socket).mode & 0o777, 0o600);
    const apiDir = join(d.dataDir, 'api');
    chmodSync(d.dataDir, 0o755);
    try {
      assert.equal(await connectAsNobody(socket), 'EACCES', 'api/ is 0700');
      chmodSync(apiDir, 0o755);
      assert.equal(await connectAsNobody(socket), 'EACCES', 'the socket is 0600');
    } finally {
      chmodSync(apiDir, 0o700);
      chmodSync(d.dataDir, 0o700);
    }
  });

  await t.test('a restart after kill -9 replaces the socket file left behind', async () => {
    await d.kill9();
    assert.ok(lstatSync(socket).isSocket(), 'kill -9 leaves the socket file');
    const again = await startDaemonProcess(t, d.dataDir);
    const r = await pxevirt(undefined, ['get', 'vmi', 'over-socket'], { env: { KUBECONFIG: kubeconfigVariant(again, 'restarted', deadHttps) } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /over-socket/);
    assert.equal(await again.stop(), 0);
    assert.equal(existsSync(socket), false, 'a clean stop removes the socket');
  });
});
