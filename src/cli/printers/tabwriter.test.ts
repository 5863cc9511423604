import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tabwrite } from './tabwriter.ts';

test('pads every tab-terminated cell to the widest in its column plus padding', () => {
  const out = tabwrite('NAME\tSTATUS\tAGE\ndefault\tActive\t5d\n', { minWidth: 6, padding: 3 });
  assert.equal(out, 'NAME      STATUS   AGE\ndefault   Active   5d\n');
});

test('keeps a column at least minWidth wide', () => {
  assert.equal(tabwrite('A\tB\nc\td', { minWidth: 6, padding: 3 }), 'A     B\nc     d');
});

test('a line without a tab ends the column block, as in describe output', () => {
  const text = 'Name:\tx\nMetadata:\n  Creation Timestamp:\tt\n  UID:\tu\nEvents:\t<none>\n';
  assert.equal(tabwrite(text, { minWidth: 0, padding: 2 }), 'Name:  x\nMetadata:\n  Creation Timestamp:  t\n  UID:                 u\nEvents:                <none>\n');
});

test('an empty first cell (a continuation line of Labels) still aligns', () => {
  assert.equal(tabwrite('Labels:\ta=b\n\tc=d\n', { minWidth: 0, padding: 2 }), 'Labels:  a=b\n         c=d\n');
});
