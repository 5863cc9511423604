// `pxevirt guestosinfo VMI` as virtctl's: the guestosinfo subresource of a running VMI answers
// KubeVirt's "no guest agent" error (pxevirt runs none), wrapped the way virtctl wraps it; a VMI
// that is not there is NotFound. The daemon runs in-process on the fake runtime (no guest boots).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kubectlMissing } from '../api/daemon-process.ts';
import { pxevirt } from './cli-process.ts';
import { startInProcessDaemon } from '../helpers/in-process-daemon.ts';

const VMI = JSON.stringify({
  apiVersion: 'kubevirt.io/v1',
  kind: 'VirtualMachineInstance',
  metadata: { name: 'osvmi' },
  spec: { domain: { memory: { guest: '64Mi' }, devices: {} } },
});

test('guestosinfo of a running VMI is KubeVirt\'s no-guest-agent error as virtctl prints it; of a missing VMI, NotFound', { skip: kubectlMissing(), timeout: 120_000 }, async (t) => {
  const d = await startInProcessDaemon(t, { nodeName: 'node-os', prefix: 'pxevirt-osinfo-' });
  const env = { KUBECONFIG: d.kubeconfig };
  await d.kubectlOk(['apply', '-f', '-'], VMI);
  await d.kubectlOk(['wait', '--for=jsonpath={.status.phase}=Running', 'vmi/osvmi', '--timeout=60s']);

  const running = await pxevirt(undefined, ['guestosinfo', 'osvmi'], { env });
  assert.notEqual(running.code, 0);
  assert.equal(running.stdout, '');
  assert.match(running.stderr, /Error getting guestosinfo of VirtualMachineInstance osvmi, .*VMI does not have guest agent connected/);

  const missing = await pxevirt(undefined, ['guestosinfo', 'nosuch'], { env });
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /Error getting guestosinfo of VirtualMachineInstance nosuch, .*"nosuch" not found/);
});
