import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, toWatchEvent, type Change } from './object-filter.ts';
import type { StoredObject } from './types.ts';

const object = (labels: Record<string, string>): StoredObject => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'a', namespace: 'ns', labels, resourceVersion: '2' } }) as StoredObject;
const change = (labels: Record<string, string>, previousLabels: Record<string, string>): Change => ({
  resourceVersion: 2, group: '', resource: 'xs', type: 'MODIFIED', object: object(labels), json: JSON.stringify(object(labels)), previousLabels,
});

test('watchers with the same filter share one event per change; other filters get their own answer', () => {
  const c = change({ app: 'web' }, { app: 'db' });
  const web = [compileFilter({ labelSelector: 'app=web' }, []), compileFilter({ labelSelector: 'app=web' }, [])];
  const db = compileFilter({ labelSelector: 'app=db' }, []);
  const all = compileFilter({}, []);
  const other = compileFilter({ namespace: 'other' }, []);
  const first = toWatchEvent(c, web[0]!);
  assert.equal(first?.type, 'ADDED', 'entering the selector is an ADDED');
  assert.equal(toWatchEvent(c, web[1]!), first, 'the same answer, made once');
  assert.equal(toWatchEvent(c, db)?.type, 'DELETED', 'leaving the selector is a DELETED');
  assert.equal(toWatchEvent(c, all)?.type, 'MODIFIED');
  assert.equal(toWatchEvent(c, other), undefined, 'another namespace: nothing');
  assert.equal(toWatchEvent(c, other), undefined, 'nothing, remembered');
  // The next change is answered afresh.
  const next = change({ app: 'db' }, { app: 'web' });
  assert.equal(toWatchEvent(next, web[0]!)?.type, 'DELETED');
  assert.equal(toWatchEvent(next, db)?.type, 'ADDED');
});
