// The VMI page against a real guest (QEMU under TCG, containerDisk from a local registry, as
// in test/vm/vmi-lifecycle.test.ts): noVNC draws the guest's screen on a canvas, the serial
// console (xterm.js) runs what is typed, and the screenshot button shows a PNG — all through
// the console/vnc websocket subresources the CLI uses, authenticated by the bearer subprotocol;
// its Pause and Unpause buttons act on the guest and Soft reboot asks for it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildContainerDiskLayout, buildTestDisk } from '../../scripts/guest/disk-image.ts';
import { testGuestUnavailable } from '../../scripts/test-guest.ts';
import { startDaemonProcess, tempDataDir } from '../api/daemon-process.ts';
import { netnsUnavailable } from '../helpers/netns.ts';
import { qemuUnavailable } from '../helpers/qemu.ts';
import { registryUnavailable, startRegistry } from '../helpers/registry.ts';
import { qemusWith } from '../helpers/vmi-node.ts';
import { baseUrl, browserUnavailable, ensureUiBuilt, launchBrowser, newContext, saveScreenshot, signIn } from './browser.ts';

const run = promisify(execFile);
const skip = browserUnavailable() ?? (await netnsUnavailable()) ?? (await qemuUnavailable()) ?? (await testGuestUnavailable()) ?? registryUnavailable();
const IMAGE = 'pxevirt/web-disk:latest';

// The bits of DOM types the page callbacks use (this program has no DOM lib).
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}
interface Img {
  naturalWidth: number;
  decode(): Promise<void>;
}

test('the VMI page shows the guest\'s screen over VNC, runs what is typed in the serial console, takes a screenshot, pauses, unpauses and asks for a soft reboot', { skip, timeout: 900_000 }, async (t) => {
  await ensureUiBuilt();
  const work = await mkdtemp(join(tmpdir(), 'pxevirt-web-e2e-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const disk = await buildTestDisk({ name: 'web-disk' });
  const registry = await startRegistry(t);
  await registry.push(await buildContainerDiskLayout({ name: 'web-disk', disk: disk.path, outDir: join(work, 'oci') }), IMAGE);

  const prefix = `pxweb${randomBytes(2).toString('hex')}-`;
  const dataDir = tempDataDir(t);
  const d = await startDaemonProcess(t, dataDir, { controllers: true, args: ['--registry-mirror', `docker.io=${registry.url}`, '--node-name', 'node-web', '--netns-prefix', prefix] });
  t.after(async () => {
    await d.kill9();
    for (const pid of await qemusWith(dataDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    const names = await readdir('/run/netns').catch(() => [] as string[]);
    for (const ns of names.filter((n) => n.startsWith(prefix))) await run('ip', ['netns', 'delete', ns]).catch(() => undefined);
  });

  const vmi = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstance',
    metadata: { name: 'webvmi' },
    spec: {
      domain: { resources: { requests: { memory: '128Mi' } }, devices: { autoattachPodInterface: false, disks: [{ name: 'root', disk: { bus: 'virtio' } }] } },
      terminationGracePeriodSeconds: 0,
      volumes: [{ name: 'root', containerDisk: { image: IMAGE } }],
    },
  };
  const created = await d.http('POST', '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances', { body: JSON.stringify(vmi), contentType: 'application/json' });
  assert.equal(created.status, 201, created.body);

  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  await page.goto(`${baseUrl(d)}/ui/#/vmi/default/webvmi`);
  // The page connects both consoles by itself once the VMI runs.
  await page.locator('#phase', { hasText: 'Running' }).waitFor({ timeout: 300_000 });
  await page.locator('#vnc-state', { hasText: 'connected' }).waitFor({ timeout: 60_000 });
  await page.locator('#serial-state', { hasText: 'connected' }).waitFor({ timeout: 60_000 });

  // The serial console: wait for the guest's shell, then type into xterm.js.
  const rows = page.locator('#serial .xterm-rows');
  await page.locator('#serial').click();
  const deadline = Date.now() + 300_000;
  while (!((await rows.textContent()) ?? '').includes('web-disk#')) {
    assert.ok(Date.now() < deadline, `no shell prompt on the serial console; it shows: ${await rows.textContent()}`);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(2000);
  }
  await page.keyboard.type('echo typed-$((6*7))\n');
  await rows.filter({ hasText: 'typed-42' }).waitFor({ timeout: 120_000 });
  await page.keyboard.type('ip addr\n');
  await rows.filter({ hasText: '127.0.0.1' }).waitFor({ timeout: 120_000 });

  // The screen: noVNC's canvas holds the guest's framebuffer — not one flat color.
  let colors = 0;
  while (colors < 2) {
    assert.ok(Date.now() < deadline, 'the VNC canvas stayed blank');
    await page.waitForTimeout(1000);
    colors = await page.locator('#vnc canvas').evaluate((c) => {
      const canvas = c as unknown as Canvas;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; data && i < data.length && seen.size < 16; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return canvas.width > 0 ? seen.size : 0;
    });
  }
  assert.ok(colors >= 2, `canvas colors: ${colors}`);

  // The screenshot button shows the PNG the vnc/screenshot subresource returns.
  await page.click('#take-screenshot');
  const img = page.locator('#screenshot img');
  await img.waitFor();
  assert.ok((await img.evaluate((el) => (el as unknown as Img).decode().then(() => (el as unknown as Img).naturalWidth))) > 0, 'the screenshot decodes');
  await saveScreenshot(page, 'web-vmi');

  // Pause, unpause and soft reboot from the page (KubeVirt's subresources): the phase shows
  // the pause and its end, and the buttons follow the state. The soft reboot is asked and
  // accepted (the test guest has no ACPI power-button handler, so it does not reboot itself).
  const pause = page.locator('button[data-action=pause]');
  const unpause = page.locator('button[data-action=unpause]');
  const softReboot = page.locator('button[data-action="soft reboot"]');
  assert.equal(await unpause.isDisabled(), true, 'nothing to unpause yet');
  await pause.click();
  await page.locator('#phase', { hasText: 'Running (Paused)' }).waitFor({ timeout: 60_000 });
  assert.equal(await pause.isDisabled(), true);
  assert.equal(await softReboot.isDisabled(), true, 'a paused VMI is not soft-rebooted');
  await unpause.click();
  await page.locator('#phase', { hasText: /^Running$/ }).waitFor({ timeout: 60_000 });
  const answer = page.waitForResponse((r) => r.url().endsWith('/virtualmachineinstances/webvmi/softreboot') && r.request().method() === 'PUT');
  await softReboot.click();
  assert.equal((await answer).status(), 200);
  assert.equal(await page.locator('#flash').textContent(), '', 'no error shown');
});
