import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionMet, parseFor } from './wait.ts';
import { parseDuration } from './wait-for.ts';

const vmi = { metadata: { generation: 2 }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }, { type: 'Paused', status: 'False', observedGeneration: 1 }] } };

test('--for=condition matches type and status in any case, True by default', () => {
  assert.equal(conditionMet(vmi, 'ready'), true);
  assert.equal(conditionMet(vmi, 'Ready', 'false'), false);
  const goal = parseFor('condition=Ready');
  assert.ok(!goal.gone && goal.test(vmi));
});

test('a condition observed for an older generation does not count', () => {
  assert.equal(conditionMet(vmi, 'Paused', 'False'), false);
});

test('--for=jsonpath compares the single value, or only needs it to exist', () => {
  const running = parseFor("jsonpath={.status.phase}=Running");
  const pending = parseFor('jsonpath={.status.phase}=Pending');
  const exists = parseFor('jsonpath={.status.phase}');
  assert.ok(!running.gone && running.test(vmi));
  assert.ok(!pending.gone && !pending.test(vmi));
  assert.ok(!exists.gone && exists.test(vmi) && !exists.test({}));
});

test('--for=delete waits for absence; anything else is refused', () => {
  assert.equal(parseFor('delete').gone, true);
  assert.throws(() => parseFor('ready'), /unrecognized condition: "ready"/);
});

test('timeouts read like Go durations', () => {
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('60'), 60_000);
  assert.throws(() => parseDuration('soon'), /invalid duration "soon"/);
});
