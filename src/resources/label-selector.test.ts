import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cause } from './causes.ts';
import { formatLabelSelector, labelsMatch, parseLabelSelector } from './label-selector.ts';

test('matchLabels and every matchExpressions operator decide together', () => {
  const causes: Cause[] = [];
  const sel = parseLabelSelector(
    { matchLabels: { role: 'installer' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'legacy', operator: 'DoesNotExist' }, { key: 'zone', operator: 'NotIn', values: ['x'] }, { key: 'rack', operator: 'Exists' }] },
    'sel',
    causes,
  );
  assert.deepEqual(causes, []);
  assert.ok(sel);
  assert.equal(labelsMatch(sel, { role: 'installer', tier: 'a', rack: '1' }), true);
  assert.equal(labelsMatch(sel, { role: 'installer', tier: 'c', rack: '1' }), false, 'In');
  assert.equal(labelsMatch(sel, { role: 'installer', tier: 'a', rack: '1', legacy: '' }), false, 'DoesNotExist');
  assert.equal(labelsMatch(sel, { role: 'installer', tier: 'a', rack: '1', zone: 'x' }), false, 'NotIn');
  assert.equal(labelsMatch(sel, { role: 'installer', tier: 'a' }), false, 'Exists');
  assert.equal(labelsMatch(sel, undefined), false);
  assert.equal(formatLabelSelector(sel), 'role=installer,tier in (a,b),!legacy,zone notin (x),rack');
});

test('bad selectors name the field, the expected and the found value', () => {
  const causes: Cause[] = [];
  assert.equal(parseLabelSelector({ matchLabels: { role: 7 }, matchExpressions: [{ key: 'a', operator: 'Near' }, { key: 'b', operator: 'In' }, { key: 'c', operator: 'Exists', values: ['x'] }], extra: 1 }, 'h.vmSelector', causes), undefined);
  const byField = Object.fromEntries(causes.map((c) => [c.field, c.message]));
  assert.match(byField['h.vmSelector.matchLabels.role'] ?? '', /expected a label value .*found 7/);
  assert.match(byField['h.vmSelector.matchExpressions[0].operator'] ?? '', /expected one of In, NotIn, Exists, DoesNotExist, found "Near"/);
  assert.match(byField['h.vmSelector.matchExpressions[1].values'] ?? '', /must be specified when `operator` is 'In'/);
  assert.match(byField['h.vmSelector.matchExpressions[2].values'] ?? '', /may not be specified/);
  assert.match(byField['h.vmSelector.extra'] ?? '', /unknown field "extra"/);
});
