// A PXEServer's page, all from its status (written by the PXEServer controller): conditions,
// hosts' install state (with a Reinstall button), leases, transfers in progress with progress bars, and each host's boot timeline — runs of
// DHCP → TFTP → HTTP with files, sizes and durations, then every event.
import { api, liveLists, pathOf, PXE, type Obj } from './api.ts';
import { age, conditions, h, section, size } from './dom.ts';
import { action, deleteButton, field, list, str } from './overview.ts';
import { yamlOf } from './yaml-view.ts';

interface BootEvent {
  time: string;
  proto: string;
  event: string;
  ip?: string;
  file?: string;
  size?: number;
  bytes?: number;
  ms?: number;
  status?: number;
  image?: string;
  message?: string;
}

/** A quiet stretch over a second, explained by the server (src/pxe/gaps.ts). */
interface Gap {
  from: string;
  to: string;
  seconds?: number;
  cause?: string;
  likely: string;
}

interface Boot {
  mac: string;
  ip?: string;
  image?: string;
  lastSeen?: string;
  events: BootEvent[];
  gaps?: Gap[];
}

interface Transfer {
  proto: string;
  file: string;
  ip?: string;
  mac?: string;
  size?: number;
  bytes: number;
  startedAt?: string;
}

/** One host's install state (status.hosts, from the server's install.json). */
interface InstallHost {
  mac: string;
  state: 'Installing' | 'Provisioned';
  image?: string;
  installStartedAt?: string;
  provisionedAt?: string;
  lastLocalBootAt?: string;
}

/**
 * Sends a host back to install: the reprovision annotation of src/resources/pxe-reprovision.ts
 * (`reprovision.pxe.pxevirt.io/<mac-with-dashes>: <now>`), which the controller passes on.
 */
function reinstallButton(o: Obj, mac: string): HTMLButtonElement {
  const key = `reprovision.pxe.pxevirt.io/${mac.replace(/:/g, '-')}`;
  const patch = { metadata: { annotations: { [key]: new Date().toISOString() } } };
  return action('Reinstall', () => api('PATCH', pathOf(PXE, o.metadata.namespace, o.metadata.name), patch, undefined, 'application/merge-patch+json'), `Reinstall ${mac} on its next boot?`);
}

function installRow(o: Obj, host: InstallHost): HTMLElement {
  const when = (t: string | undefined) => (t ? `${age(t)} ago` : '');
  return h('tr', { 'data-mac': host.mac, 'data-state': host.state },
    h('td', null, host.mac), h('td', null, host.state), h('td', null, host.image ?? ''),
    h('td', null, when(host.installStartedAt)), h('td', null, when(host.provisionedAt)), h('td', null, when(host.lastLocalBootAt)),
    h('td', null, host.state === 'Provisioned' ? reinstallButton(o, host.mac) : ''));
}

interface Lease {
  mac: string;
  ip: string;
  hostname?: string;
  state: string;
  expiresAt?: string;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;

/** Consecutive events of one protocol form a stage: DHCP → TFTP → DHCP (iPXE) → HTTP. */
export function stages(events: BootEvent[]): { proto: string; start: string; ms: number; files: string[]; bytes: number }[] {
  const out: { proto: string; start: string; ms: number; files: string[]; bytes: number }[] = [];
  let first = '';
  for (const e of events) {
    let last = out[out.length - 1];
    if (!last || last.proto !== e.proto) {
      out.push((last = { proto: e.proto, start: e.time, ms: 0, files: [], bytes: 0 }));
      first = e.time;
    }
    last.ms = Date.parse(e.time) - Date.parse(first);
    if (e.file && !last.files.includes(e.file)) last.files.push(e.file);
    if (e.event === 'done') last.bytes += e.bytes ?? e.size ?? 0; // TFTP and HTTP both end a transfer with `done`
  }
  return out;
}

function hostTimeline(boot: Boot): HTMLElement {
  const t0 = Date.parse(boot.events[0]?.time ?? '');
  return h('div', { class: 'host', 'data-mac': boot.mac },
    h('h3', null, boot.mac, ' ', h('span', { class: 'muted' }, [boot.ip, boot.image && `image ${boot.image}`, boot.lastSeen && `seen ${age(boot.lastSeen)} ago`].filter(Boolean).join(' · '))),
    h('ol', { class: 'stages' }, stages(boot.events).map((s) => h('li', { class: `stage ${s.proto}`, 'data-proto': s.proto }, h('b', null, s.proto.toUpperCase()), ' ', s.files.join(', '), s.bytes ? ` ${size(s.bytes)}` : '', ` ${seconds(s.ms)}`))),
    h('table', { class: 'events' },
      h('thead', null, h('tr', null, ['+time', 'proto', 'event', 'file', 'size', 'took', 'detail'].map((c) => h('th', null, c)))),
      h('tbody', null, boot.events.flatMap((e, i) => [
        h('tr', { class: e.proto },
          h('td', null, `+${seconds(Date.parse(e.time) - t0)}`), h('td', null, e.proto), h('td', null, e.event), h('td', null, e.file ?? ''),
          h('td', null, e.bytes !== undefined && e.size !== undefined && e.bytes !== e.size ? `${size(e.bytes)} / ${size(e.size)}` : size(e.bytes ?? e.size)),
          h('td', null, e.ms !== undefined ? seconds(e.ms) : ''), h('td', null, [e.ip, e.status && `HTTP ${e.status}`, e.image, e.message].filter(Boolean).join(' '))),
        // A gap starts at this event (and the next one shown ends it): say what the client was doing.
        ...(boot.gaps ?? []).filter((g) => g.from === e.time && boot.events[i + 1]?.time === g.to).map((g) =>
          h('tr', { class: 'gap', 'data-cause': g.cause ?? '' }, h('td', { colspan: '7' }, `⋯ ${seconds(Date.parse(g.to) - Date.parse(g.from))} quiet: ${g.likely}`))),
      ])),
    ),
  );
}

/** Renders the page of PXEServer `ns/name` into `main`. */
export function pxePage(main: HTMLElement, ns: string, name: string, signal: AbortSignal): void {
  const head = h('div', { id: 'summary' });
  const leases = h('tbody');
  const installs = h('tbody');
  const transfers = h('tbody');
  const boots = h('div', { id: 'boots' });
  const yaml = h('pre', { class: 'yaml' });
  main.append(
    h('h1', null, `${ns}/${name}`),
    head,
    section('Hosts', h('table', { id: 'hosts' }, h('thead', null, h('tr', null, ['MAC', 'State', 'Image', 'Install started', 'Provisioned', 'Last local boot', ''].map((c) => h('th', null, c)))), installs)),
    section('Leases', h('table', { id: 'leases' }, h('thead', null, h('tr', null, ['MAC', 'IP', 'Hostname', 'State', 'Expires'].map((c) => h('th', null, c)))), leases)),
    section('Transfers in progress', h('table', { id: 'transfers' }, h('thead', null, h('tr', null, ['File', 'Proto', 'Client', 'Progress', ''].map((c) => h('th', null, c)))), transfers)),
    section('Boot timelines', boots),
    section('YAML', yaml),
  );
  liveLists([`${pathOf(PXE, ns)}?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`], signal, (_, items) => {
    const o: Obj | undefined = items[0];
    if (!o) {
      head.replaceChildren(h('p', { class: 'error' }, 'not found'));
      return;
    }
    const s = o.status ?? {};
    head.replaceChildren(
      h('p', null, h('span', { class: `phase ${str(s.phase)}` }, str(s.phase) || 'Pending'), ' ', conditions(s.conditions), ' ', deleteButton(PXE, o)),
      h('p', { class: 'muted' }, [`network ${str(field(o, 'spec', 'network'))}`, `address ${str(s.address) || str(field(o, 'spec', 'address'))}`, s.interface && `interface ${str(s.interface)}`, s.mac && `mac ${str(s.mac)}`, s.netns && `netns ${str(s.netns)}`, `DHCP ${str(field(o, 'spec', 'dhcp', 'mode')) || 'server'}`].filter(Boolean).join(' · ')),
    );
    const ls = list<Lease>(s.leases);
    leases.replaceChildren(...(ls.length ? ls.map((l) => h('tr', { 'data-mac': l.mac }, h('td', null, l.mac), h('td', null, l.ip), h('td', null, l.hostname ?? ''), h('td', null, l.state), h('td', null, l.expiresAt ?? ''))) : [h('tr', null, h('td', { colspan: '5', class: 'muted' }, 'none'))]));
    const hs = list<InstallHost>(s.hosts);
    installs.replaceChildren(...(hs.length ? hs.map((x) => installRow(o, x)) : [h('tr', null, h('td', { colspan: '7', class: 'muted' }, 'No host has started an install yet.'))]));
    const ts = list<Transfer>(s.transfers);
    transfers.replaceChildren(...(ts.length ? ts.map((t) => h('tr', null, h('td', null, t.file), h('td', null, t.proto), h('td', null, t.mac ?? t.ip ?? ''),
      h('td', null, t.size ? h('progress', { max: String(t.size), value: String(t.bytes) }) : h('progress')),
      h('td', null, t.size ? `${size(t.bytes)} of ${size(t.size)} (${Math.floor((100 * t.bytes) / t.size)}%)` : size(t.bytes)))) : [h('tr', null, h('td', { colspan: '5', class: 'muted' }, 'none'))]));
    const bs = list<Boot>(s.boots);
    boots.replaceChildren(...(bs.length ? bs.map(hostTimeline) : [h('p', { class: 'muted' }, 'No host has booted from this server yet.')]));
    void yamlOf(o).then((text) => (yaml.textContent = text));
  });
}
