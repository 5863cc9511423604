import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPullReporter, formatBytes, renderBar, summaryLine } from './pull-progress.ts';

const MiB = 1024 * 1024;
const image = 'kubevirt/fedora-cloud-container-disk-demo:latest';

test('formats byte counts in B, KiB and MiB', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '2 KiB');
  assert.equal(formatBytes(27 * MiB + MiB / 2), '27.5 MiB');
});

test('draws a bar with percent, bytes of the total and the rate, within the width', () => {
  const line = renderBar({ image, bytes: 9 * MiB, total: 20 * MiB, done: false }, 2000, 100);
  assert.match(line, /^…\S+ \[=+> +\]   45%  9\.0 MiB \/ 20\.0 MiB  4\.5 MiB\/s$/);
  assert.equal(line.length, 99, 'one column short of the width, so the terminal never wraps it');
  assert.match(line, /demo:latest \[/, 'the tag end of a long name stays visible');
  const full = renderBar({ image: 'x:1', bytes: 20 * MiB, total: 20 * MiB, done: true }, 1000, 60);
  assert.match(full, /^x:1 \[=+\]  100%  20\.0 MiB \/ 20\.0 MiB  20\.0 MiB\/s$/);
});

test('says unpacking once every byte is in but the disk is not extracted yet', () => {
  assert.match(renderBar({ image: 'x:1', bytes: 5, total: 5, done: false }, 10, 80), /100%  5 B \/ 5 B  unpacking$/);
});

test('shows only bytes and rate when the total is unknown', () => {
  assert.equal(renderBar({ image: 'x:1', bytes: 3 * MiB, done: false }, 1000, 80), 'x:1  3.0 MiB  3.0 MiB/s');
});

test('summarises a download, and a pull that found everything cached', () => {
  assert.equal(summaryLine('x:1', 10 * MiB, 2000), 'x:1: pulled 10.0 MiB in 2.0 s (5.0 MiB/s)');
  assert.equal(summaryLine('x:1', 0, 5), 'x:1: up to date in the cache, nothing downloaded');
});

test('on a terminal redraws one line in place at most every 100 ms, then ends it with the summary', () => {
  let now = 0;
  const out: string[] = [];
  const r = createPullReporter({ mode: 'tty', write: (t) => out.push(t), now: () => now, columns: 80 });
  for (let bytes = 0; bytes <= 10 * MiB; bytes += MiB / 4) {
    now += 20; // 41 reports over 820 ms
    r.update({ image: 'x:1', bytes, total: 10 * MiB, done: false });
  }
  r.update({ image: 'x:1', bytes: 10 * MiB, total: 10 * MiB, done: true });
  r.finish('x:1', 10 * MiB);
  const draws = out.filter((t) => t.startsWith('\r\x1b[K'));
  assert.ok(draws.length >= 8 && draws.length <= 10, `about one draw per 100 ms, found ${draws.length}`);
  assert.ok(out.every((t) => t.startsWith('\r\x1b[K') || t.startsWith('\n')), 'nothing but redraws until the end');
  assert.match(draws.at(-1)!, /100%  10\.0 MiB \/ 10\.0 MiB/);
  assert.match(out.at(-1)!, /^\nx:1: pulled 10\.0 MiB in 0\.8 s/);
});

test('elsewhere writes a plain line at each tenth of the download and the summary', () => {
  let now = 0;
  const out: string[] = [];
  const r = createPullReporter({ mode: 'plain', write: (t) => out.push(t), now: () => now });
  for (let bytes = 0; bytes <= 1000; bytes += 7) {
    now += 1;
    r.update({ image: 'x:1', bytes, total: 1000, done: false });
  }
  r.update({ image: 'x:1', bytes: 1000, total: 1000, done: false });
  r.update({ image: 'x:1', bytes: 1000, total: 1000, done: true });
  r.finish('x:1', 1000);
  assert.deepEqual(
    out.slice(0, -1).map((l) => /(\d+)%/.exec(l)?.[1]),
    ['0', '10', '20', '30', '40', '50', '60', '70', '80', '90', '100'],
  );
  assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.match(out.at(-1)!, /^x:1: pulled 1000 B in /);
});

test('writes nothing in mode none, and ends a drawn line after a failure', () => {
  const none: string[] = [];
  const quiet = createPullReporter({ mode: 'none', write: (t) => none.push(t), now: () => 0 });
  quiet.update({ image: 'x:1', bytes: 1, total: 2, done: false });
  quiet.finish('x:1', 2);
  assert.deepEqual(none, []);
  const out: string[] = [];
  const tty = createPullReporter({ mode: 'tty', write: (t) => out.push(t), now: () => 0 });
  tty.update({ image: 'x:1', bytes: 1, total: 2, done: false });
  tty.abandon();
  assert.equal(out.at(-1), '\n');
});
