import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TablePrinter, cellText, type Table } from './table.ts';

const vmiTable: Table = {
  columnDefinitions: [
    { name: 'Name', priority: 0 },
    { name: 'Age', priority: 0 },
    { name: 'Phase', priority: 0 },
    { name: 'IP', priority: 0 },
    { name: 'NodeName', priority: 0 },
    { name: 'Ready', priority: 0 },
    { name: 'Live-Migratable', priority: 1 },
  ],
  rows: [
    { cells: ['vmi-pxe-boot', '3s', 'Pending', null, null, null, null], object: { metadata: { name: 'vmi-pxe-boot', namespace: 'default' } } },
    { cells: ['b', '12d', 'Running', '10.0.2.2', 'node1', 'True', 'False'], object: { metadata: { name: 'b', namespace: 'other' } } },
  ],
};

test('prints upper-case headers and aligns columns with three spaces, ages as the server gave them', () => {
  assert.equal(
    new TablePrinter().print(vmiTable),
    [
      'NAME           AGE   PHASE     IP         NODENAME   READY',
      'vmi-pxe-boot   3s    Pending                         ',
      'b              12d   Running   10.0.2.2   node1      True',
      '',
    ].join('\n'),
  );
});

test('shows priority>0 columns only with -o wide', () => {
  const wide = new TablePrinter({ wide: true }).print(vmiTable);
  assert.match(wide.split('\n')[0] ?? '', /READY   LIVE-MIGRATABLE$/);
  assert.doesNotMatch(new TablePrinter().print(vmiTable), /LIVE-MIGRATABLE/);
});

test('adds a NAMESPACE column first under -A', () => {
  const lines = new TablePrinter({ withNamespace: true }).print(vmiTable).split('\n');
  assert.match(lines[0] ?? '', /^NAMESPACE   NAME/);
  assert.match(lines[2] ?? '', /^other       b/);
});

test('prints nothing for an empty table, and the header only once under watch', () => {
  const printer = new TablePrinter();
  assert.equal(printer.print({ ...vmiTable, rows: [] }), '');
  printer.print(vmiTable);
  const next = printer.print({ rows: [vmiTable.rows?.[0] ?? { cells: [] }] , ...(vmiTable.columnDefinitions ? { columnDefinitions: vmiTable.columnDefinitions } : {}) });
  assert.doesNotMatch(next, /NAME/);
  assert.equal(next, 'vmi-pxe-boot   3s    Pending                         \n');
});

test('prefixes names when several types print together', () => {
  const out = new TablePrinter({ namePrefix: 'virtualmachineinstance.kubevirt.io/' }).print(vmiTable);
  assert.match(out.split('\n')[1] ?? '', /^virtualmachineinstance\.kubevirt\.io\/vmi-pxe-boot   3s/);
});

test('cells print like Go: null empty, numbers plain, multi-line strings cut', () => {
  assert.equal(cellText(null), '');
  assert.equal(cellText(3), '3');
  assert.equal(cellText(true), 'true');
  assert.equal(cellText('a\nb'), 'a...');
});
