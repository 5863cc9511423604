// The disks of a VM or VMI as a live table (rows from disks.ts), and a DataVolume's phase with
// its import progress bar — shared by the VM and VMI pages and the overview's DataVolumes.
import type { Obj } from './api.ts';
import { h } from './dom.ts';
import { diskRows, failureMessage, progressPercent, type DiskRow } from './disks.ts';

/** A phase badge, then a progress bar with its percentage while there is one to show. */
export function phaseWithProgress(phase: string, progress: number | undefined, message?: string): HTMLElement {
  const badge = h('span', { class: `phase ${phase}`, 'data-phase': phase, ...(message ? { title: message } : {}) }, phase || '—');
  if (progress === undefined || phase === 'Failed') return h('span', null, badge, message ? h('span', { class: 'error dv-message' }, ` ${message}`) : null);
  return h('span', null, badge, ' ', h('progress', { max: '100', value: String(progress), 'data-progress': String(progress) }), h('span', { class: 'muted' }, ` ${progress.toFixed(1)}%`));
}

/** A DataVolume's phase and progress, as the overview shows it. */
export function dataVolumeProgress(dv: Obj): HTMLElement {
  const phase = typeof dv.status?.phase === 'string' ? dv.status.phase : 'Pending';
  return phaseWithProgress(phase, progressPercent(dv), failureMessage(dv));
}

/** A table of disks (id `id`) re-rendered from the spec and the namespace's DataVolumes and claims. */
export function disksTable(id: string): { table: HTMLElement; update: (spec: unknown, dvs: readonly Obj[], pvcs: readonly Obj[]) => void } {
  const body = h('tbody', null, h('tr', null, h('td', { colspan: '6', class: 'muted' }, 'loading…')));
  const row = (d: DiskRow) => h('tr', { 'data-disk': d.name },
    h('td', { 'data-col': 'name' }, d.name),
    h('td', { 'data-col': 'device' }, d.device),
    h('td', { 'data-col': 'volume' }, d.type),
    h('td', { 'data-col': 'source' }, d.source),
    h('td', { 'data-col': 'size' }, d.size),
    h('td', { 'data-col': 'phase' }, d.phase ? phaseWithProgress(d.phase, d.progress, d.message) : ''));
  return {
    table: h('table', { id }, h('thead', null, h('tr', null, ['Disk', 'Device', 'Volume', 'Claim / DataVolume / source', 'Size', 'Phase'].map((t) => h('th', null, t)))), body),
    update: (spec, dvs, pvcs) => {
      const byName = (items: readonly Obj[]) => (n: string) => items.find((o) => o.metadata.name === n);
      const rows = diskRows(spec, { dataVolume: byName(dvs), pvc: byName(pvcs) });
      body.replaceChildren(...(rows.length === 0 ? [h('tr', null, h('td', { colspan: '6', class: 'muted' }, 'no disks'))] : rows.map(row)));
    },
  };
}
