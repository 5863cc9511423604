import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENERATED_BEGIN, GENERATED_END, mergeGenerated } from '../../bench/doc-merge.ts';

const rendered = '# Benchmarks\n\nProduced by make bench.\n\n## TFTP\n\n| a |\n\n### storm\n';

test('the first run puts the generated section under the title and keeps every hand-written line', () => {
  const page = '# Benchmarks\n\nIntro.\n\n## API server after the read path\n\nAnalysis that must survive.\n';
  const merged = mergeGenerated(page, rendered);
  assert.ok(merged.startsWith(`# Benchmarks\n\n${GENERATED_BEGIN}\n## Latest \`make bench\` run (generated)\n\nProduced by make bench.\n\n### TFTP\n\n| a |\n\n#### storm\n${GENERATED_END}\n\nIntro.`), merged);
  assert.match(merged, /## API server after the read path\n\nAnalysis that must survive\.\n$/);
  assert.equal(merged.match(/^# /gm)?.length, 1, 'one page title');
});

test('a later run replaces only what is between the markers', () => {
  const first = mergeGenerated('# Benchmarks\n\nHand-written.\n', rendered);
  const second = mergeGenerated(first, '# Benchmarks\n\n## DHCP\n\nnew figures\n');
  assert.doesNotMatch(second, /TFTP/);
  assert.match(second, /### DHCP\n\nnew figures\n<!-- make bench writes up to here -->\n\nHand-written\.\n$/);
  assert.equal(second.split(GENERATED_BEGIN).length, 2);
});

test('an empty or title-less page gets a title and the section', () => {
  assert.match(mergeGenerated('', rendered), /^# Benchmarks\n\n<!-- make bench writes from here/);
  const noTitle = mergeGenerated('Some notes.\n', rendered);
  assert.match(noTitle, /^# Benchmarks\n\n<!--[^]*-->\n\nSome notes\.\n$/);
});
