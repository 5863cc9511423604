import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImportReporter, importFinished, importStateOf, importSummary, renderImportBar } from './import-progress.ts';

const dv = (status: Record<string, unknown>) => ({ metadata: { name: 'golden' }, status });

test('reads phase, CDI\'s percent and the condition message from a DataVolume', () => {
  assert.deepEqual(importStateOf(dv({ phase: 'ImportInProgress', progress: '45.20%' })), { name: 'golden', phase: 'ImportInProgress', percent: 45.2 });
  assert.deepEqual(importStateOf(dv({ phase: 'Pending', progress: 'N/A' })), { name: 'golden', phase: 'Pending' });
  assert.deepEqual(importStateOf({ metadata: { name: 'new' } }), { name: 'new', phase: '' });
  const failed = importStateOf(dv({ phase: 'Failed', progress: '0.00%', conditions: [{ type: 'Ready', status: 'False', message: '' }, { type: 'Running', status: 'False', message: 'http://x/disk.img: expected status code 200, got 404' }] }));
  assert.equal(failed.message, 'http://x/disk.img: expected status code 200, got 404');
  assert.equal(importFinished(failed), true);
  assert.equal(importFinished(importStateOf(dv({ phase: 'ImportInProgress' }))), false);
  assert.equal(importStateOf(dv({ progress: '250%' })).percent, 100, 'a hostile percent is capped');
});

test('draws the bar with percent, phase and elapsed time within the width', () => {
  const line = renderImportBar({ name: 'golden', phase: 'ImportInProgress', percent: 45.2 }, 12_500, 80);
  assert.match(line, /^dv\/golden \[=+> +\]    45\.2%  ImportInProgress  12 s$/);
  assert.equal(line.length, 79, 'one column short of the width');
  assert.match(renderImportBar({ name: 'golden', phase: 'Succeeded' }, 1000, 60), /\[=+\]   100\.0%  Succeeded  1 s$/);
  assert.match(renderImportBar({ name: 'golden', phase: '' }, 0, 60), /\[> +\]      N\/A  Pending  0 s$/);
});

test('a terminal gets one line redrawn in place, then a new line', () => {
  let out = '';
  let clock = 0;
  const r = createImportReporter({ mode: 'tty', write: (t) => (out += t), now: () => clock, columns: 60 });
  r.update({ name: 'golden', phase: 'ImportInProgress', percent: 10 });
  clock = 2000;
  r.update({ name: 'golden', phase: 'Succeeded', percent: 100 });
  assert.equal(r.end(), 2000);
  const draws = out.split('\r\x1b[K').filter(Boolean);
  assert.equal(draws.length, 2);
  assert.ok(out.endsWith('Succeeded  2 s\n'));
  assert.equal(out.split('\n').length, 2, 'one line in all');
});

test('plain output has a line per tenth and per phase change only; none writes nothing', () => {
  const lines: string[] = [];
  const r = createImportReporter({ mode: 'plain', write: (t) => lines.push(t), now: () => 0 });
  for (const [phase, percent] of [['ImportScheduled', undefined], ['ImportInProgress', 1], ['ImportInProgress', 5], ['ImportInProgress', 12.5], ['ImportInProgress', 13], ['Succeeded', 100]] as const) {
    r.update({ name: 'golden', phase, ...(percent === undefined ? {} : { percent }) });
  }
  r.end();
  assert.deepEqual(lines, ['importing golden: ImportScheduled\n', 'importing golden: ImportInProgress 1.0%\n', 'importing golden: ImportInProgress 12.5%\n', 'importing golden: Succeeded 100.0%\n']);
  let none = '';
  const quiet = createImportReporter({ mode: 'none', write: (t) => (none += t), now: () => 0 });
  quiet.update({ name: 'golden', phase: 'Succeeded' });
  quiet.end();
  assert.equal(none, '');
});

test('the summary says how it ended and how long it took', () => {
  assert.equal(importSummary({ name: 'golden', phase: 'Succeeded' }, 5230), 'datavolume.cdi.kubevirt.io/golden imported (5.2 s)');
  assert.equal(importSummary({ name: 'golden', phase: 'Failed' }, 1000), 'datavolume.cdi.kubevirt.io/golden Failed after 1.0 s');
});
