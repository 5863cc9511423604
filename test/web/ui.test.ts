// The web UI in a real browser against `pxevirt up` (controllers off, so the test writes
// status through the API as the controllers would): sign-in, live overview, create from
// YAML with the API's causes beside the field, the PXEServer timeline page, and that nothing
// (pages, session, API, websockets) is reachable without the token.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startDaemonProcess, type DaemonProcess } from '../api/daemon-process.ts';
import { baseUrl, browserUnavailable, ensureUiBuilt, launchBrowser, newContext, saveScreenshot, signIn } from './browser.ts';

const SEED = '/work/shared/seed-scenario';
const skip = browserUnavailable();
const VMIS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachineinstances';

async function mergeStatus(d: DaemonProcess, path: string, status: Record<string, unknown>): Promise<void> {
  const r = await d.http('PATCH', `${path}/status`, { body: JSON.stringify({ status }), contentType: 'application/merge-patch+json' });
  assert.equal(r.status, 200, r.body);
}

test('signs in, creates the seed NAD and VMI from pasted YAML, and follows the VMI to Running without reloading', { skip, timeout: 180_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  await saveScreenshot(page, 'web-overview-empty');

  const manifests = `${readFileSync(join(SEED, 'pxe-net-conf.yaml'), 'utf8')}\n---\n${readFileSync(join(SEED, 'vmi-pxe-boot.yaml'), 'utf8')}`;
  await page.click('a[href="#/create"]');
  await page.fill('#manifest', manifests);
  await page.click('#create');
  await page.waitForSelector('#results li:nth-child(2)');
  assert.deepEqual(await page.locator('#results li').allTextContents(), ['created NetworkAttachmentDefinition pxe-net-conf', 'created VirtualMachineInstance vmi-pxe-boot']);
  await saveScreenshot(page, 'web-create');
  assert.equal((await d.http('GET', `${VMIS}/vmi-pxe-boot`)).status, 200, 'the API has the VMI');

  const watches: string[] = [];
  page.on('request', (r) => void (r.url().includes('watch') && watches.push(r.url())));
  await page.click('a[href="#/"]');
  const row = page.locator('#vmis tr[data-key="default/vmi-pxe-boot"]');
  await row.waitFor();
  // All six tables follow one combined watch (browsers allow six connections per host).
  assert.equal(watches.length, 1, watches.join('\n'));
  assert.equal(new URL(watches[0]!).pathname, '/ui/watch');
  assert.equal(new URL(watches[0]!).searchParams.getAll('path').length, 6);
  // Before the VMI reports its MACs: the spec's (the default interface's comes from the MAC pool).
  assert.match(await row.locator('td[data-col=macs]').textContent() ?? '', /^02:[0-9a-f:]{14}, de:00:00:00:00:de$/);
  assert.equal(await page.locator('#nads tr[data-key="default/pxe-net-conf"] td[data-col=plugins]').textContent(), 'cnv-bridge + cnv-tuning');
  await page.evaluate(() => ((globalThis as unknown as { notReloaded: boolean }).notReloaded = true));

  // What the VMI controller writes, step by step; the overview follows through its watch.
  await mergeStatus(d, `${VMIS}/vmi-pxe-boot`, { phase: 'Scheduling' });
  await row.locator('td[data-col=phase]', { hasText: 'Scheduling' }).waitFor();
  await mergeStatus(d, `${VMIS}/vmi-pxe-boot`, {
    phase: 'Running',
    nodeName: 'node-ui',
    interfaces: [
      { name: 'default', mac: '02:00:00:00:00:01', ipAddress: '10.0.2.2', ipAddresses: ['10.0.2.2'] },
      { name: 'pxe-net', mac: 'de:00:00:00:00:de', ipAddress: '192.168.100.150', ipAddresses: ['192.168.100.150'] },
    ],
  });
  await row.locator('td[data-col=phase]', { hasText: 'Running' }).waitFor();
  assert.equal(await row.locator('td[data-col=node]').textContent(), 'node-ui');
  assert.equal(await row.locator('td[data-col=ips]').textContent(), '10.0.2.2, 192.168.100.150');
  assert.equal(await row.locator('td[data-col=macs]').textContent(), '02:00:00:00:00:01, de:00:00:00:00:de');
  assert.equal(await page.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded), true, 'the page was not reloaded');
  await saveScreenshot(page, 'web-overview');

  // The VMI's page shows the same object live, with its YAML.
  await row.locator('td[data-col=name] a').click();
  await page.locator('#phase', { hasText: 'Running' }).waitFor();
  await page.locator('#yaml', { hasText: 'macAddress: de:00:00:00:00:de' }).waitFor();
  // Deleting from the UI removes it from the API.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.click('button[data-action=delete]');
  await page.locator('#phase', { hasText: 'not found' }).waitFor();
  assert.equal((await d.http('GET', `${VMIS}/vmi-pxe-boot`)).status, 404);
});

test('starts and stops a VirtualMachine from the overview, shows the API\'s refusal of a restart, and deletes it', { skip, timeout: 120_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  const VMS = '/apis/kubevirt.io/v1/namespaces/default/virtualmachines';
  const template = { spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } };
  const created = await d.http('POST', VMS, { body: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'vm1' }, spec: { runStrategy: 'Halted', template } }), contentType: 'application/json' });
  assert.equal(created.status, 201, created.body);
  const strategy = async () => ((await d.http('GET', `${VMS}/vm1`)).json().spec as { runStrategy?: string }).runStrategy;
  const until = async (want: string) => {
    for (let i = 0; i < 100 && (await strategy()) !== want; i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await strategy(), want);
  };

  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  const row = page.locator('#vms tr[data-key="default/vm1"]');
  await row.waitFor();
  await row.locator('button[data-action=start]').click();
  await until('Always');
  await mergeStatus(d, `${VMS}/vm1`, { printableStatus: 'Running', ready: true });
  await row.locator('td[data-col=status]', { hasText: 'Running' }).waitFor();
  await row.locator('button[data-action=stop]').click();
  await until('Halted');
  // Restarting a stopped VM is refused by the API; the page shows its message.
  await row.locator('button[data-action=restart]').click();
  await page.locator('#flash', { hasText: /.+/ }).waitFor();
  page.once('dialog', (dialog) => void dialog.accept());
  await row.locator('button[data-action=delete]').click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await d.http('GET', `${VMS}/vm1`)).status, 404);
});

test('shows the API\'s message beside the field a bad manifest got wrong', { skip, timeout: 120_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  const bad = readFileSync(join(SEED, 'vmi-pxe-boot.yaml'), 'utf8').replace('macAddress: de:00:00:00:00:de', 'macAddress: de:00:00:00:00:zz').replace('name: vmi-pxe-boot', 'name: vmi-bad');
  assert.match(bad, /de:00:00:00:00:zz/);
  // What the API itself says about it.
  const refused = await d.http('POST', VMIS.replace('/v1/', '/v1alpha3/'), { body: bad, contentType: 'application/yaml' });
  assert.equal(refused.status, 422, refused.body);
  const causes = (refused.json().details as { causes: { field: string; message: string }[] }).causes;
  const cause = causes.find((c) => c.field === 'spec.domain.devices.interfaces[1].macAddress');
  assert.ok(cause, `a cause for the MAC: ${refused.body}`);

  await page.goto(`${baseUrl(d)}/ui/#/create`);
  await page.fill('#manifest', bad);
  await page.click('#create');
  const note = page.locator('#annotated .cause').first();
  await note.waitFor();
  // The note sits right after the line with the bad MAC, and carries the API's message.
  const line = await note.getAttribute('data-line');
  const badLine = bad.split('\n').findIndex((l) => l.includes('de:00:00:00:00:zz')) + 1;
  assert.equal(line, String(badLine));
  assert.equal(await page.locator(`#annotated .line[data-line="${badLine}"]`).evaluate((el) => el.nextElementSibling?.className), 'cause');
  assert.ok((await note.textContent())?.includes(cause.message), `the note says "${cause.message}"`);
  assert.match(await page.locator('#results li.bad').textContent() ?? '', /vmi-bad/);
  await saveScreenshot(page, 'web-create-error');
});

test('shows a PXEServer\'s hosts, leases, transfers and de:00:00:00:00:de\'s boot timeline from its status, and sends a host back to install', { skip, timeout: 120_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  const nad = await d.http('POST', '/apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions', { body: readFileSync(join(SEED, 'pxe-net-conf.yaml')), contentType: 'application/yaml' });
  assert.equal(nad.status, 201, nad.body);
  const PXES = '/apis/pxe.pxevirt.io/v1alpha1/namespaces/default/pxeservers';
  const spec = { network: 'pxe-net-conf', address: '192.168.100.1/24', root: 'images', dhcp: { mode: 'server', range: '192.168.100.100-192.168.100.200' } };
  const created = await d.http('POST', PXES, { body: JSON.stringify({ apiVersion: 'pxe.pxevirt.io/v1alpha1', kind: 'PXEServer', metadata: { name: 'pxe' }, spec }), contentType: 'application/json' });
  assert.equal(created.status, 201, created.body);
  const t0 = Date.parse('2026-11-22T09:00:00Z');
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const mac = 'de:00:00:00:00:de';
  const ip = '192.168.100.150';
  // As the PXEServer controller writes it (src/resources/pxe-server-kind.ts, status).
  await mergeStatus(d, `${PXES}/pxe`, {
    phase: 'Running',
    address: '192.168.100.1/24',
    interface: 'net1',
    conditions: [{ type: 'Ready', status: 'True', reason: 'Serving', message: 'serving DHCP, TFTP and HTTP on net1', lastTransitionTime: at(0) }],
    leases: [{ mac, ip, state: 'bound', expiresAt: at(3_600_000) }],
    hosts: [{ mac, state: 'Provisioned', image: 'fedora', installStartedAt: at(2000), provisionedAt: at(60_000), lastLocalBootAt: at(90_000) }],
    transfers: [{ proto: 'http', file: 'fedora/initrd.img', ip, mac, size: 80 * 1048576, bytes: 20 * 1048576, startedAt: at(2500) }],
    boots: [{
      mac,
      ip,
      image: 'fedora',
      lastSeen: at(2600),
      events: [
        { time: at(0), proto: 'dhcp', event: 'discover', arch: 'bios' },
        { time: at(10), proto: 'dhcp', event: 'offer', ip },
        { time: at(1020), proto: 'dhcp', event: 'request', ip },
        { time: at(1030), proto: 'dhcp', event: 'ack', ip },
        { time: at(1100), proto: 'tftp', event: 'rrq', ip, file: 'ipxe/undionly.kpxe' },
        { time: at(1400), proto: 'tftp', event: 'done', ip, file: 'ipxe/undionly.kpxe', size: 70_000, bytes: 70_000, ms: 300 },
        { time: at(1900), proto: 'dhcp', event: 'discover', arch: 'bios' },
        { time: at(1950), proto: 'dhcp', event: 'ack', ip },
        { time: at(2000), proto: 'http', event: 'script', ip, file: 'boot.ipxe', image: 'fedora', status: 200 },
        { time: at(2010), proto: 'http', event: 'get', ip, file: 'fedora/vmlinuz', size: 12 * 1048576, status: 200 },
        { time: at(2400), proto: 'http', event: 'done', ip, file: 'fedora/vmlinuz', size: 12 * 1048576, bytes: 12 * 1048576, ms: 390, status: 200 },
      ],
      gaps: [{ from: at(10), to: at(1020), seconds: 1, cause: 'proxy-dhcp-wait', likely: 'waiting for more DHCP offers (a PXE client waits for ProxyDHCP offers before it requests)' }],
    }],
  });

  const browser = await launchBrowser(t);
  const page = await signIn(await newContext(browser), d);
  const row = page.locator('#pxeservers tr[data-key="default/pxe"]');
  await row.locator('.badge.ok', { hasText: 'Ready=True' }).waitFor();
  await row.locator('td[data-col=name] a').click();
  const host = page.locator(`#boots .host[data-mac="${mac}"]`);
  await host.waitFor();
  assert.deepEqual(await host.locator('.stage').evaluateAll((els) => els.map((e) => e.getAttribute('data-proto'))), ['dhcp', 'tftp', 'dhcp', 'http']);
  const stages = await host.locator('.stage').allTextContents();
  assert.match(stages[1]!, /TFTP ipxe\/undionly\.kpxe 68\.4 KiB 0\.30 s/);
  assert.match(stages[3]!, /HTTP boot\.ipxe, fedora\/vmlinuz 12\.0 MiB 0\.40 s/);
  assert.equal(await host.locator('table.events tbody tr:not(.gap)').count(), 11);
  // The server's explanation of the quiet second sits between the offer and the request.
  const gap = host.locator('table.events tbody tr.gap');
  assert.equal(await gap.count(), 1);
  assert.match((await gap.textContent()) ?? '', /1\.01 s quiet: waiting for more DHCP offers/);
  assert.equal(await gap.evaluate((el) => el.previousElementSibling?.textContent?.includes('offer')), true);
  assert.match(await page.locator(`#leases tr[data-mac="${mac}"]`).textContent() ?? '', /192\.168\.100\.150.*bound/);
  assert.equal(await page.locator('#transfers progress').getAttribute('value'), String(20 * 1048576));
  assert.match(await page.locator('#transfers').textContent() ?? '', /20\.0 MiB of 80\.0 MiB \(25%\)/);
  const installed = page.locator(`#hosts tr[data-mac="${mac}"]`);
  assert.match((await installed.textContent()) ?? '', /Provisioned\s*fedora/);
  await saveScreenshot(page, 'web-pxeserver');

  // The transfer finishing shows without reloading.
  await mergeStatus(d, `${PXES}/pxe`, { transfers: [] });
  await page.locator('#transfers td.muted', { hasText: 'none' }).waitFor();

  // Reinstall: the reprovision annotation the controller passes on to the server.
  page.once('dialog', (dialog) => void dialog.accept());
  const clicked = Date.now();
  await installed.locator('button[data-action=reinstall]').click();
  const key = 'reprovision.pxe.pxevirt.io/de-00-00-00-00-de';
  let stamp: string | undefined;
  for (const deadline = Date.now() + 10_000; stamp === undefined && Date.now() < deadline; ) {
    const annotations = (JSON.parse((await d.http('GET', `${PXES}/pxe`)).body) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations ?? {};
    stamp = annotations[key];
    if (stamp === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(stamp !== undefined && Date.parse(stamp) >= clicked - 5000, `the annotation ${key} is set to the click's time, found ${stamp}`);
});

test('refuses every page, the session and the API without the token, and every websocket without it', { skip, timeout: 120_000 }, async (t) => {
  await ensureUiBuilt();
  const d = await startDaemonProcess(t);
  const browser = await launchBrowser(t);
  const context = await newContext(browser);
  const page = await context.newPage();
  const base = baseUrl(d);

  // Every page lands on the sign-in form, which shows nothing of the UI.
  for (const path of ['/', '/ui/', '/ui/#/vmi/default/x', '/ui/index.html']) {
    await page.goto(`${base}${path}`);
    assert.match(page.url(), /\/ui\/login(#.*)?$/, path);
    assert.equal(await page.locator('#main, #vmis').count(), 0, path);
  }
  await saveScreenshot(page, 'web-login');
  const statuses = await page.evaluate(async () => {
    const out: Record<string, number> = {};
    for (const p of ['/ui/app.js', '/ui/app.css', '/ui/session', '/ui/watch?path=/api/v1/namespaces', '/apis/kubevirt.io/v1/virtualmachineinstances', '/api/v1/namespaces']) out[p] = (await fetch(p)).status;
    return out;
  });
  assert.deepEqual(statuses, { '/ui/app.js': 401, '/ui/app.css': 401, '/ui/session': 401, '/ui/watch?path=/api/v1/namespaces': 401, '/apis/kubevirt.io/v1/virtualmachineinstances': 401, '/api/v1/namespaces': 401 });

  // A wrong token is refused with a message, and sets no cookie.
  await page.fill('input[name=token]', 'not-the-token');
  await page.click('button[type=submit]');
  await page.locator('.err', { hasText: 'not valid' }).waitFor();
  assert.deepEqual(await context.cookies(), []);

  // Websockets: no token, or a wrong one in the bearer subprotocol, never open.
  const created = await d.http('POST', VMIS, { body: JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: 'ws' }, spec: { domain: { devices: {}, resources: { requests: { memory: '64Mi' } } } } }), contentType: 'application/json' });
  assert.equal(created.status, 201, created.body);
  const wsBase = `wss://127.0.0.1:${d.port}/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/ws`;
  const tryWs = (url: string, protocols: string[]) =>
    page.evaluate(
      ({ url, protocols }) =>
        new Promise<string>((done) => {
          const ws = new WebSocket(url, protocols);
          ws.onopen = () => (ws.close(), done('open'));
          ws.onclose = (e) => done(`closed ${e.code}`);
        }),
      { url, protocols },
    );
  const wrong = `base64url.bearer.authorization.k8s.io.${Buffer.from('not-the-token').toString('base64url')}`;
  for (const sub of ['console', 'vnc']) {
    assert.equal(await tryWs(`${wsBase}/${sub}`, ['plain.kubevirt.io']), 'closed 1006', `${sub} without a token`);
    assert.equal(await tryWs(`${wsBase}/${sub}`, ['plain.kubevirt.io', wrong]), 'closed 1006', `${sub} with a wrong token`);
  }
  // The handshakes' answers: 401 without the right token; with it, the VMI's own state (not running: 400).
  const upgrade = (url: string, protocols: string[]) =>
    new Promise<number>((done) => {
      const ws = new WebSocket(url, protocols, { rejectUnauthorized: false });
      ws.on('unexpected-response', (_req, res) => (done(res.statusCode ?? 0), res.resume(), ws.terminate()));
      ws.on('open', () => (done(101), ws.close()));
      ws.on('error', () => done(-1));
    });
  for (const sub of ['console', 'vnc']) {
    assert.equal(await upgrade(`${wsBase}/${sub}`, ['plain.kubevirt.io']), 401, `${sub} without a token`);
    assert.equal(await upgrade(`${wsBase}/${sub}`, ['plain.kubevirt.io', wrong]), 401, `${sub} with a wrong token`);
    assert.equal(await upgrade(`${wsBase}/${sub}`, ['plain.kubevirt.io', `base64url.bearer.authorization.k8s.io.${Buffer.from(d.token).toString('base64url')}`]), 400, `${sub} with the token`);
  }
  const refused = await d.http('GET', '/apis/subresources.kubevirt.io/v1/namespaces/default/virtualmachineinstances/ws/vnc/screenshot', { token: '' });
  assert.equal(refused.status, 401);

  // Signed in, the page still needs the bearer token for the API: the cookie alone opens nothing there.
  const signed = await signIn(context, d);
  assert.equal(await signed.evaluate(async () => (await fetch('/apis/kubevirt.io/v1/virtualmachineinstances')).status), 401);
  assert.match(await signed.evaluate(async () => (await fetch('/ui/watch?path=/api/v1/namespaces')).text()), /^\{"stream":0,"type":"ERROR","object":\{[^\n]*"code":401/);
  // Signing out ends the session.
  await signed.click('header form button');
  await signed.waitForURL(/\/ui\/login$/);
  assert.equal(await signed.evaluate(async () => (await fetch('/ui/session')).status), 401);
});
