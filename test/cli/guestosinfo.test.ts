// `pxevirt guestosinfo VMI` as virtctl's: the guestosinfo subresource of a running VMI answers
// KubeVirt's "no guest agent" error (pxevirt runs none), wrapped the way virtctl wraps it; a VMI
// that is not there is NotFound. The daemon runs in-process on the fake runtime (no guest boots).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createFakeRuntime } from '../../src/controllers/fake-runtime.ts';
import { startDaemon } from '../../src/daemon/daemon.ts';
import { silentLogger } from '../../src/lib/logger.ts';
import { kubectlMissing } from '../api/daemon-process.ts';
import { pxevirt } from './cli-process.ts';

const VMI = JSON.stringify({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'osvmi' },
  spec: { domain: { memory: { guest: '64Mi' }, devices: {} } },
});

test('guestosinfo of a running VMI is KubeVirt\'s no-guest-agent error as virtctl prints it; of a missing VMI, NotFound', { skip: kubectlMissing(), timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pxevirt-osinfo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const daemon = await startDaemon({ dataDir: dir, listen: '127.0.0.1:0', log: silentLogger, runtime: createFakeRuntime(), nodeName: 'node-os' });
  t.after(() => daemon.close());
  const env = { KUBECONFIG: daemon.kubeconfigPath };
  const kubectl = (args: string[], input?: string) =>
    new Promise<void>((done, fail) => {
      const p = execFile('kubectl', ['--kubeconfig', daemon.kubeconfigPath, ...args], { timeout: 60_000 }, (err, _out, stderr) => (err ? fail(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : done()));
      if (input !== undefined) p.stdin?.end(input);
    });
  await kubectl(['apply', '-f', '-'], VMI);
  await kubectl(['wait', '--for=jsonpath={.status.phase}=Running', 'vmi/osvmi', '--timeout=60s']);

  const running = await pxevirt(undefined, ['guestosinfo', 'osvmi'], { env });
  assert.notEqual(running.code, 0);
  assert.equal(running.stdout, '');
  assert.match(running.stderr, /Error getting guestosinfo of VirtualMachineInstance osvmi, .*VMI does not have guest agent connected/);

  const missing = await pxevirt(undefined, ['guestosinfo', 'nosuch'], { env });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Error getting guestosinfo of VirtualMachineInstance nosuch, .*"nosuch" not found/);
});
