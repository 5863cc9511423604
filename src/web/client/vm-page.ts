// A VM's page: its status (Provisioning while its DataVolumes import), start/stop/restart, its
// disks with each DataVolume's phase and import progress bar, a link to its VMI, its YAML — live.
import { DV, liveLists, pathOf, PVC, VM, VMI, type Obj } from './api.ts';
import { disksTable } from './disks-view.ts';
import { age, conditions, h, section } from './dom.ts';
import { field, str, vmActions } from './overview.ts';
import { yamlOf } from './yaml-view.ts';

/** Renders the page of VM `ns/name` into `main`. */
export function vmPage(main: HTMLElement, ns: string, name: string, signal: AbortSignal): void {
  const status = h('span', { id: 'vm-status', class: 'phase' }, '…');
  const facts = h('p', { id: 'facts', class: 'muted' });
  const actions = h('p', { class: 'actions' });
  const vmiLink = h('p', { id: 'vmi-link' });
  const disks = disksTable('disks');
  const yaml = h('pre', { id: 'yaml', class: 'yaml' });
  let vm: Obj | undefined;
  let dvs: Obj[] = [];
  let pvcs: Obj[] = [];
  main.append(h('h1', null, `${ns}/${name} `, status), facts, actions, vmiLink, section('Disks', disks.table), section('YAML', yaml));

  const render = () => {
    if (!vm) {
      status.textContent = 'not found';
      status.className = 'phase Failed';
      return;
    }
    const s = str(field(vm, 'status', 'printableStatus')) || 'Stopped';
    status.textContent = s;
    status.className = `phase ${s}`;
    facts.replaceChildren(`run strategy ${str(field(vm, 'spec', 'runStrategy')) || (field(vm, 'spec', 'running') === true ? 'Always' : 'Halted')} · age ${age(vm.metadata.creationTimestamp)} `, conditions(field(vm, 'status', 'conditions')));
    disks.update(field(vm, 'spec', 'template', 'spec'), dvs, pvcs);
  };
  const byName = `?fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`;
  liveLists([`${pathOf(VM, ns)}${byName}`, `${pathOf(VMI, ns)}${byName}`, pathOf(DV, ns), pathOf(PVC, ns)], signal, (i, items) => {
    if (i === 0) {
      vm = items[0];
      actions.replaceChildren(...(vm ? [vmActions(vm)] : []));
      if (vm) void yamlOf(vm).then((text) => (yaml.textContent = text));
    } else if (i === 1) {
      const vmi = items[0];
      vmiLink.replaceChildren(...(vmi ? ['VMI: ', h('a', { href: `#/vmi/${encodeURIComponent(ns)}/${encodeURIComponent(name)}` }, name), ' ', h('span', { class: `phase ${str(field(vmi, 'status', 'phase'))}` }, str(field(vmi, 'status', 'phase')) || 'Pending')] : [h('span', { class: 'muted' }, 'no VMI')]));
    } else if (i === 2) dvs = items;
    else pvcs = items;
    render();
  });
}
