// A VMI's page: phase, its disks (claims and DataVolumes with size, phase and import progress),
// the graphical console (noVNC) and the serial console (xterm.js) once it runs, a screenshot
// button, pause/unpause and soft-reboot buttons, its events and its YAML — all live.
import { api, auth, DV, EVENT, liveLists, pathOf, PVC, SUBRESOURCES, VMI, wsProtocols, type Obj } from './api.ts';
import { disksTable } from './disks-view.ts';
import { age, h, section } from './dom.ts';
import { action, deleteButton, field, report, str, vmiMacs } from './overview.ts';
import { yamlOf } from './yaml-view.ts';

type Close = () => void;

/** Renders the page of VMI `ns/name` into `main`. */
export function vmiPage(main: HTMLElement, ns: string, name: string, signal: AbortSignal): void {
  const base = `${SUBRESOURCES}/namespaces/${encodeURIComponent(ns)}/virtualmachineinstances/${encodeURIComponent(name)}`;
  const wsUrl = (sub: string) => `wss://${location.host}${base}/${sub}`;
  const phase = h('span', { id: 'phase', class: 'phase' }, '…');
  const facts = h('p', { id: 'facts', class: 'muted' });
  const vnc = h('div', { id: 'vnc', class: 'screen' });
  const vncState = h('span', { id: 'vnc-state', class: 'muted' }, 'waiting for the VMI to run');
  const serial = h('div', { id: 'serial', class: 'terminal' });
  const serialState = h('span', { id: 'serial-state', class: 'muted' }, 'waiting for the VMI to run');
  const shot = h('div', { id: 'screenshot' });
  const events = h('tbody');
  const yaml = h('pre', { id: 'yaml', class: 'yaml' });
  const disks = disksTable('disks');
  let dvs: Obj[] = [];
  let pvcs: Obj[] = [];
  let vncClose: Close | undefined;
  let serialClose: Close | undefined;
  let object: Obj | undefined;

  const connect = async () => {
    const { openVnc, openSerial } = await import('./consoles.ts');
    if (signal.aborted) return;
    vncClose ??= openVnc(vnc, wsUrl('vnc'), wsProtocols(), (s) => {
      vncState.textContent = s;
      if (s !== 'connected' && s !== 'connecting') vncClose = undefined;
    });
    if (serialClose) return;
    // What the guest printed before this page opened: the end of its serial log.
    const log = await fetch(`${base}/log`, { headers: auth() }).then((r) => (r.ok ? r.text() : ''), () => '');
    if (signal.aborted || serialClose) return;
    serialClose = openSerial(serial, wsUrl('console'), wsProtocols(), (s) => {
      serialState.textContent = s;
      if (s !== 'connected' && s !== 'connecting') serialClose = undefined;
    }, log.slice(-65536));
  };
  const screenshot = async () => {
    const res = await fetch(`${base}/vnc/screenshot`, { headers: auth() });
    if (!res.ok) throw new Error(`screenshot failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
    const url = URL.createObjectURL(await res.blob());
    shot.replaceChildren(h('img', { src: url, alt: `screenshot of ${name}` }), h('a', { href: url, download: `${name}.png` }, 'Download PNG'));
  };
  // KubeVirt's pause, unpause and softreboot subresources; enabled by the VMI's state as shown.
  const put = (sub: string) => () => api('PUT', `${base}/${sub}`, {});
  const pause = action('Pause', put('pause'));
  const unpause = action('Unpause', put('unpause'));
  const softReboot = action('Soft reboot', put('softreboot'));
  signal.addEventListener('abort', () => {
    vncClose?.();
    serialClose?.();
  });

  main.append(
    h('h1', null, `${ns}/${name} `, phase),
    facts,
    h('p', { class: 'actions' },
      h('button', { type: 'button', id: 'reconnect', onclick: () => void connect().catch(report) }, 'Connect consoles'),
      h('button', { type: 'button', id: 'take-screenshot', onclick: () => void screenshot().catch(report) }, 'Screenshot'),
      pause, unpause, softReboot,
      h('button', { type: 'button', 'data-action': 'delete', onclick: () => object && deleteButton(VMI, object).click() }, 'Delete')),
    section('Disks', disks.table),
    h('div', { class: 'consoles' }, section('Screen', vncState, vnc), section('Serial console', serialState, serial)),
    shot,
    section('Events', h('table', { id: 'events' }, h('thead', null, h('tr', null, ['Type', 'Reason', 'Message', 'Count', 'Last seen'].map((t) => h('th', null, t)))), events)),
    section('YAML', yaml),
  );

  let wasRunning = false;
  const showVmi = (items: Obj[]) => {
    object = items[0];
    if (!object) {
      phase.textContent = 'not found';
      phase.className = 'phase Failed';
      return;
    }
    disks.update(object.spec, dvs, pvcs);
    const p = str(field(object, 'status', 'phase')) || 'Pending';
    const conditions = field(object, 'status', 'conditions');
    const paused = Array.isArray(conditions) && conditions.some((c) => field(c, 'type') === 'Paused' && field(c, 'status') === 'True');
    phase.textContent = paused ? `${p} (Paused)` : p;
    pause.disabled = p !== 'Running' || paused;
    unpause.disabled = !paused;
    softReboot.disabled = p !== 'Running' || paused;
    phase.className = `phase ${p}`;
    facts.textContent = [`node ${str(field(object, 'status', 'nodeName')) || '—'}`, `MACs ${vmiMacs(object) || '—'}`, `age ${age(object.metadata.creationTimestamp)}`].join(' · ');
    void yamlOf(object).then((text) => (yaml.textContent = text));
    const running = p === 'Running';
    if (running && !wasRunning) void connect().catch(report);
    wasRunning = running;
  };
  const showEvents = (items: Obj[]) => {
    const sorted = items.sort((a, b) => str(a.lastTimestamp ?? a.metadata.creationTimestamp).localeCompare(str(b.lastTimestamp ?? b.metadata.creationTimestamp)));
    events.replaceChildren(...sorted.map((e) => h('tr', null, h('td', null, str(e.type)), h('td', null, str(e.reason)), h('td', null, str(e.message)), h('td', null, str(e.count)), h('td', null, age(str(e.lastTimestamp) || e.metadata.creationTimestamp)))));
  };
  const byName = (key: string) => `?fieldSelector=${encodeURIComponent(`${key}=${name}`)}`;
  const showClaims = (i: number, items: Obj[]) => {
    if (i === 2) dvs = items;
    else pvcs = items;
    if (object) disks.update(object.spec, dvs, pvcs);
  };
  liveLists([`${pathOf(VMI, ns)}${byName('metadata.name')}`, `${pathOf(EVENT, ns)}${byName('involvedObject.name')}`, pathOf(DV, ns), pathOf(PVC, ns)], signal, (i, items) => (i === 0 ? showVmi(items) : i === 1 ? showEvents(items) : showClaims(i, items)));
}
