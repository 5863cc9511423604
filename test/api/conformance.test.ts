// Every VirtualMachineInstance and VirtualMachine the API returns (create, get, list, patch,
// status patch) validates against KubeVirt's own OpenAPI document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { KUBEVIRT_OPENAPI_PATH, validateAgainstKubevirt, type KubevirtKind } from '../helpers/kubevirt-schema.ts';
import { SEED_DIR } from '../helpers/kubevirt-fixtures.ts';
import { startDaemonProcess } from './daemon-process.ts';

const skip = existsSync(KUBEVIRT_OPENAPI_PATH) ? false : `KubeVirt's OpenAPI reference is missing at ${KUBEVIRT_OPENAPI_PATH}`;
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('VMIs and VMs returned by the API are valid KubeVirt objects', { skip }, async (t) => {
  const d = await startDaemonProcess(t);
  const returned: Array<{ what: string; kind: KubevirtKind; object: unknown }> = [];
  const keep = (what: string, kind: KubevirtKind, body: string) => {
    const object = JSON.parse(body) as Record<string, unknown>;
    returned.push({ what, kind, object });
    return object;
  };
  const VMIS = '/apis/kubevirt.io/v1alpha3/namespaces/default/virtualmachineinstances';
  const VMS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachines';
  const seed = readFileSync(join(SEED_DIR, 'vmi-pxe-boot.yaml'), 'utf8');
  const created = await d.http('POST', VMIS, { body: seed, contentType: 'application/yaml' });
  assert.equal(created.status, 201, created.body);
  keep('seed VMI as created', 'VirtualMachineInstance', created.body);
  const small = await d.http('POST', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances', { body: JSON.stringify(parse(fixture('vmi.yaml'))), contentType: 'application/json' });
  keep('small VMI as created', 'VirtualMachineInstance', small.body);
  const vm = await d.http('POST', VMS, { body: fixture('vm.yaml'), contentType: 'application/yaml' });
  assert.equal(vm.status, 201, vm.body);
  keep('VM as created', 'VirtualMachine', vm.body);
  const status = await d.http('PATCH', `${VMIS}/vmi-pxe-boot/status`, {
    body: JSON.stringify({ status: { phase: 'Running', nodeName: 'node', interfaces: [{ name: 'pxe-net', mac: 'de:00:00:00:00:de', ipAddress: '10.0.0.5' }], conditions: [{ type: 'Ready', status: 'True' }] } }),
    contentType: 'application/merge-patch+json',
  });
  assert.equal(status.status, 200, status.body);
  keep('VMI after a status patch', 'VirtualMachineInstance', status.body);
  keep('VMI after a label patch', 'VirtualMachineInstance', (await d.http('PATCH', `${VMIS}/vmi-pxe-boot`, { body: '{"metadata":{"labels":{"x":"y"}}}', contentType: 'application/merge-patch+json' })).body);
  keep('VMI from GET', 'VirtualMachineInstance', (await d.http('GET', `${VMIS}/vmi-pxe-boot`)).body);
  keep('VM from GET', 'VirtualMachine', (await d.http('GET', `${VMS}/vm-one`)).body);
  for (const item of ((await d.http('GET', '/apis/kubevirt.io/v1/virtualmachineinstances')).json().items as unknown[])) returned.push({ what: 'VMI from a list', kind: 'VirtualMachineInstance', object: item });
  assert.equal(returned.length, 9);
  for (const r of returned) assert.deepEqual(validateAgainstKubevirt(r.kind, r.object), [], r.what);
});
