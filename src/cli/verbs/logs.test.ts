import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialLogSection } from './logs.ts';

test('the describe section shows the last lines without escape sequences or carriage returns', () => {
  const log = '\x1b[2J\x1b[1;1HSeaBIOS\r\nboot\r\n\r\nline 3\r\nvm# \x1b[6necho hi\r\nhi\r\n';
  assert.equal(serialLogSection(log, 3), 'Serial Console (last 3 lines, all: pxevirt logs NAME):\n  line 3\n  vm# echo hi\n  hi\n');
  assert.equal(serialLogSection(''), 'Serial Console:\t<empty>\n');
});
