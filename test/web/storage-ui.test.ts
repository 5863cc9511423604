// The web UI's storage views in a real browser against `pxevirt up` (controllers off: the test
// writes status through the API as the storage controller would): the overview's DataVolumes
// table with phase and a progress bar that moves without a reload, a failed import's message,
// and the VM and VMI pages' disks — each volume with its claim or DataVolume, size, phase and
// import progress.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDaemonProcess, type DaemonProcess } from '../api/daemon-process.ts';
import { browserUnavailable, ensureUiBuilt, launchBrowser, newContext, saveScreenshot, signIn } from './browser.ts';

const skip = browserUnavailable();
const NS = '/namespaces/default';
const DVS = `/apis/cdi.kubevirt.io/v1beta1${NS}/datavolumes`;
const PVCS = `/api/v1${NS}/persistentvolumeclaims`;

async function call(d: DaemonProcess, method: string, path: string, body: unknown, contentType = 'application/json'): Promise<void> {
  const r = await d.http(method, path, { body: JSON.stringify(body), contentType });
  assert.ok(r.status === 200 || r.status === 201, `${method} ${path}: ${r.status} ${r.body}`);
}
const mergeStatus = (d: DaemonProcess, path: string, status: Record<string, unknown>) => call(d, 'PATCH', `${path}/status`, { status }, 'application/merge-patch+json');

const dataVolume = (name: string, url: string, storage: string) => ({ apiVersion: 'cdi.kubevirt.io/v1beta1', kind: 'DataVolume', metadata: { name }, spec: { source: { http: { url } }, storage: { resources: { requests: { storage } } } } });

test('DataVolume import progress moves on the overview, and the VM and VMI pages show each disk\'s claim, size, phase and progress', { skip, timeout: 180_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  await call(d, 'POST', DVS, dataVolume('root', 'http://images.example/disk.qcow2', '2Gi'));
  await call(d, 'POST', DVS, dataVolume('broken', 'http://images.example/notes.txt', '1Gi'));
  await call(d, 'POST', PVCS, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } } } });
  await mergeStatus(d, `${DVS}/root`, { phase: 'ImportInProgress', progress: '12.5%' });
  const template = {
    domain: { resources: { requests: { memory: '128Mi' } }, devices: { disks: [{ name: 'root', bootOrder: 2, disk: { bus: 'virtio' } }, { name: 'data', disk: { bus: 'virtio' } }, { name: 'cfg', cdrom: { bus: 'sata' } }] } },
    volumes: [{ name: 'root', dataVolume: { name: 'root' } }, { name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'cfg', configMap: { name: 'app' } }],
  };
  await call(d, 'POST', `/apis/kubevirt.io/v1${NS}/virtualmachines`, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'inst' }, spec: { runStrategy: 'Always', template: { spec: template } } });
  await mergeStatus(d, `/apis/kubevirt.io/v1${NS}/virtualmachines/inst`, { printableStatus: 'Provisioning' });

  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  const root = page.locator('#dvs tr[data-key="default/root"]');
  await root.locator('progress[data-progress="12.5"]').waitFor();
  assert.equal(await root.locator('[data-phase]').textContent(), 'ImportInProgress');
  assert.equal(await root.locator('td[data-col=size]').textContent(), '2Gi');
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));
  // The import moves; the bar follows through the watch.
  await mergeStatus(d, `${DVS}/root`, { progress: '45.2%' });
  await root.locator('progress[data-progress="45.2"]').waitFor();
  assert.match(await root.locator('td[data-col=progress]').textContent() ?? '', /ImportInProgress\s*45\.2%/);
  await saveScreenshot(page, 'web-datavolumes');
  await mergeStatus(d, `${DVS}/broken`, { phase: 'Failed', progress: 'N/A', conditions: [{ type: 'Running', status: 'False', reason: 'Error', message: 'http://images.example/notes.txt: not a disk image' }] });
  const broken = page.locator('#dvs tr[data-key="default/broken"]');
  await broken.locator('.dv-message', { hasText: 'http://images.example/notes.txt: not a disk image' }).waitFor();
  assert.equal(await broken.locator('progress').count(), 0, 'no bar for a failed import');
  assert.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');

  // The VM's page: Provisioning, and its disks with the DataVolume's progress.
  await page.click('#vms tr[data-key="default/inst"] td[data-col=name] a');
  await page.locator('#vm-status', { hasText: 'Provisioning' }).waitFor();
  const disk = (name: string) => page.locator(`#disks tr[data-disk="${name}"]`);
  await disk('root').locator('progress[data-progress="45.2"]').waitFor();
  const cells = async (name: string) => Object.fromEntries(await Promise.all(['device', 'volume', 'source', 'size'].map(async (c) => [c, (await disk(name).locator(`td[data-col=${c}]`).textContent()) ?? ''])));
  assert.deepEqual(await cells('root'), { device: 'disk virtio, boot 2', volume: 'dataVolume', source: 'root', size: '2Gi' });
  assert.deepEqual(await cells('data'), { device: 'disk virtio', volume: 'persistentVolumeClaim', source: 'data', size: '100Mi' });
  assert.deepEqual(await cells('cfg'), { device: 'cdrom sata', volume: 'configMap', source: 'app', size: '' });
  assert.equal(await disk('data').locator('[data-phase]').textContent(), 'Pending');
  assert.equal(await page.locator('#vmi-link').textContent(), 'no VMI');
  await mergeStatus(d, `${DVS}/root`, { phase: 'Succeeded', progress: '100.0%' });
  await mergeStatus(d, `${PVCS}/data`, { phase: 'Bound', capacity: { storage: '100Mi' } });
  await disk('root').locator('[data-phase="Succeeded"]').waitFor();
  await disk('data').locator('[data-phase="Bound"]').waitFor();
  await saveScreenshot(page, 'web-vm-disks');

  // The VMI the VM would start: its page lists the same disks.
  await call(d, 'POST', `/apis/kubevirt.io/v1${NS}/virtualmachineinstances`, { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'inst' }, spec: template });
  await page.locator('#vmi-link a').click();
  await page.locator('#phase').waitFor();
  await disk('root').locator('[data-phase="Succeeded"]').waitFor();
  assert.equal(await disk('root').locator('td[data-col=size]').textContent(), '2Gi');
  assert.equal(await disk('data').locator('[data-phase]').textContent(), 'Bound');
});
