// The overview: one live table per kind, each kept current by its own list + watch.
import { api, DV, liveLists, NAD, NNCP, PXE, SUBRESOURCES, VM, VMI, pathOf, type Obj, type Resource } from './api.ts';
import { dataVolumeProgress } from './disks-view.ts';
import { requestedSize } from './disks.ts';
import { age, conditions, h, section } from './dom.ts';

interface Column {
  title: string;
  cell: (o: Obj) => Node | string;
}

interface VmiInterface {
  name?: string;
  mac?: string;
  macAddress?: string;
  ipAddress?: string;
  ipAddresses?: string[];
}

const field = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/** Reports a failed action in the page's message area. */
export function report(err: unknown): void {
  const box = document.getElementById('flash');
  if (box) box.textContent = err instanceof Error ? err.message : String(err);
}

/** A button that runs an API action and reports failures. */
export function action(label: string, run: () => Promise<unknown>, confirmText?: string): HTMLButtonElement {
  return h('button', { type: 'button', 'data-action': label.toLowerCase(), onclick: () => (!confirmText || confirm(confirmText) ? run().catch(report) : undefined) }, label);
}

/** Delete with a confirmation. */
export function deleteButton(r: Resource, o: Obj): HTMLButtonElement {
  return action('Delete', () => api('DELETE', pathOf(r, o.metadata.namespace, o.metadata.name)), `Delete ${o.metadata.name}?`);
}

function vmiIps(o: Obj): string {
  return list<VmiInterface>(field(o, 'status', 'interfaces'))
    .flatMap((i) => i.ipAddresses ?? (i.ipAddress ? [i.ipAddress] : []))
    .join(', ');
}

/** The VMI's MACs as it reports them, else as its spec asks. */
export function vmiMacs(o: Obj): string {
  const reported = list<VmiInterface>(field(o, 'status', 'interfaces')).map((i) => i.mac).filter(Boolean);
  const asked = list<VmiInterface>(field(o, 'spec', 'domain', 'devices', 'interfaces')).map((i) => i.macAddress).filter(Boolean);
  return (reported.length > 0 ? reported : asked).join(', ');
}

const nsCol: Column = { title: 'Namespace', cell: (o) => o.metadata.namespace ?? '' };
const ageCol: Column = { title: 'Age', cell: (o) => age(o.metadata.creationTimestamp) };
const link = (page: string) => (o: Obj) => h('a', { href: `#/${page}/${encodeURIComponent(o.metadata.namespace ?? '')}/${encodeURIComponent(o.metadata.name)}` }, o.metadata.name);

/** Start, Stop, Restart and Delete for a VM. */
export function vmActions(o: Obj): Node {
  const sub = (verb: string) => () => api('PUT', `${SUBRESOURCES}/namespaces/${encodeURIComponent(o.metadata.namespace ?? '')}/virtualmachines/${encodeURIComponent(o.metadata.name)}/${verb}`, {});
  return h('span', { class: 'actions' }, action('Start', sub('start')), action('Stop', sub('stop')), action('Restart', sub('restart')), deleteButton(VM, o));
}

function cniTypes(o: Obj): string {
  try {
    const config = JSON.parse(str(field(o, 'spec', 'config'))) as { type?: string; plugins?: { type?: string }[] };
    return (config.plugins?.map((p) => p.type) ?? [config.type]).filter(Boolean).join(' + ');
  } catch {
    return '';
  }
}

/** A table whose rows are re-rendered from `update(items)` (and every few seconds, for ages). */
function liveTable(id: string, r: Resource, columns: Column[], signal: AbortSignal): { table: HTMLElement; update: (items: Obj[]) => void } {
  const body = h('tbody', null, h('tr', null, h('td', { colspan: String(columns.length + 1), class: 'muted' }, 'loading…')));
  let items: Obj[] | undefined;
  const render = () => {
    if (!items) return;
    const sorted = [...items].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
    body.replaceChildren(
      ...(sorted.length === 0
        ? [h('tr', null, h('td', { colspan: String(columns.length + 1), class: 'muted' }, 'none'))]
        : sorted.map((o) => h('tr', { 'data-key': `${o.metadata.namespace ?? ''}/${o.metadata.name}` }, columns.map((c) => h('td', { 'data-col': c.title.toLowerCase() }, c.cell(o))), h('td', null, r === VM ? vmActions(o) : deleteButton(r, o))))),
    );
  };
  const timer = setInterval(render, 5000);
  signal.addEventListener('abort', () => clearInterval(timer));
  const table = h('table', { id }, h('thead', null, h('tr', null, columns.map((c) => h('th', null, c.title)), h('th'))), body);
  return {
    table,
    update: (next) => {
      items = next;
      render();
    },
  };
}

/** Renders the overview into `main`. */
export function overviewPage(main: HTMLElement, signal: AbortSignal): void {
  const phase = (o: Obj) => h('span', { class: `phase ${str(field(o, 'status', 'phase'))}` }, str(field(o, 'status', 'phase')) || 'Pending');
  const tables: [string, Resource, ReturnType<typeof liveTable>][] = [
    ['Virtual machine instances', VMI, liveTable('vmis', VMI, [nsCol, { title: 'Name', cell: link('vmi') }, { title: 'Phase', cell: phase }, { title: 'Node', cell: (o) => str(field(o, 'status', 'nodeName')) }, { title: 'IPs', cell: vmiIps }, { title: 'MACs', cell: vmiMacs }, ageCol], signal)],
    ['Virtual machines', VM, liveTable('vms', VM, [nsCol, { title: 'Name', cell: link('vm') }, { title: 'Status', cell: (o) => str(field(o, 'status', 'printableStatus')) }, { title: 'Ready', cell: (o) => str(field(o, 'status', 'ready')) || 'false' }, ageCol], signal)],
    ['Data volumes', DV, liveTable('dvs', DV, [nsCol, { title: 'Name', cell: (o) => o.metadata.name }, { title: 'Progress', cell: dataVolumeProgress }, { title: 'Size', cell: (o) => requestedSize(o, undefined) }, { title: 'Owner', cell: (o) => (o.metadata as { ownerReferences?: { kind?: string; name?: string }[] }).ownerReferences?.map((r) => `${r.kind ?? ''}/${r.name ?? ''}`).join(', ') ?? '' }, ageCol], signal)],
    ['Network attachments', NAD, liveTable('nads', NAD, [nsCol, { title: 'Name', cell: (o) => o.metadata.name }, { title: 'Plugins', cell: cniTypes }, ageCol], signal)],
    ['Node network policies', NNCP, liveTable('nncps', NNCP, [{ title: 'Name', cell: (o) => o.metadata.name }, { title: 'Conditions', cell: (o) => conditions(field(o, 'status', 'conditions')) }, ageCol], signal)],
    ['PXE servers', PXE, liveTable('pxeservers', PXE, [nsCol, { title: 'Name', cell: link('pxe') }, { title: 'Network', cell: (o) => str(field(o, 'spec', 'network')) }, { title: 'Address', cell: (o) => str(field(o, 'status', 'address')) || str(field(o, 'spec', 'address')) }, { title: 'Conditions', cell: (o) => conditions(field(o, 'status', 'conditions')) }, ageCol], signal)],
  ];
  main.append(...tables.map(([title, , t]) => section(title, t.table)));
  liveLists(tables.map(([, r]) => pathOf(r)), signal, (i, items) => tables[i]?.[2].update(items));
}

export { field, str, list };
