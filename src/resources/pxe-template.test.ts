import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTemplate, templateVariables, unknownVariables } from './pxe-template.ts';

test('renders every known variable, with or without spaces and triple braces', () => {
  const r = renderTemplate('ks={{files}}/ks.cfg host={{ hostname }} mac={{{mac}}} done={{doneURL}}', {
    files: 'http://10.0.0.1:8080/files',
    hostname: 'node-1',
    mac: 'de:00:00:00:00:01',
    doneURL: 'http://10.0.0.1:8080/done/abc',
  });
  assert.equal(r.text, 'ks=http://10.0.0.1:8080/files/ks.cfg host=node-1 mac=de:00:00:00:00:01 done=http://10.0.0.1:8080/done/abc');
  assert.deepEqual(r.unknown, []);
});

test('does not HTML-escape values', () => {
  assert.equal(renderTemplate('{{doneURL}}', { doneURL: 'http://a/b?x=1&y=<2>' }).text, 'http://a/b?x=1&y=<2>');
});

test('renders a known variable without a value as the empty string', () => {
  assert.equal(renderTemplate('uuid=[{{uuid}}]', {}).text, 'uuid=[]');
});

test('leaves unknown variables as written and reports them', () => {
  const r = renderTemplate('a {{nope}} b {{mac}} {{nope}}', { mac: 'm' });
  assert.equal(r.text, 'a {{nope}} b m {{nope}}');
  assert.deepEqual(r.unknown, ['nope']);
});

test('lists variables and the unknown ones', () => {
  assert.deepEqual(templateVariables('{{mac}} {{x}} {{mac}}'), ['mac', 'x']);
  assert.deepEqual(unknownVariables('{{mac}} {{x}} {{ip}}'), ['x']);
});
