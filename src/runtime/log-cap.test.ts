import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogCap, trimLog } from './log-cap.ts';

async function dir(t: { after(fn: () => unknown): void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pxevirt-logcap-'));
  t.after(() => rm(d, { recursive: true, force: true }));
  return d;
}

const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${String(from + i).padStart(8, '0')}\n`).join('');

test('a log over its cap keeps its newest bytes in place and the part before in .1', async (t) => {
  const d = await dir(t);
  const log = join(d, 'serial.log');
  const all = lines(0, 3000); // 42000 bytes
  await writeFile(log, all);
  // Trimmed past 7000 bytes (halfway from 4000 to 10000).
  assert.equal(await trimLog(log, { maxBytes: 10_000, keepBytes: 4000 }), true);
  assert.equal(await readFile(log, 'utf8'), all.slice(-4000));
  assert.equal(await readFile(`${log}.1`, 'utf8'), all.slice(-7000, -4000));
  await writeFile(log, all.slice(0, 7000));
  assert.equal(await trimLog(log, { maxBytes: 10_000, keepBytes: 4000 }), false, 'not past 7000: untouched');
  assert.equal(await trimLog(join(d, 'missing.log'), { maxBytes: 1 }), false);
});

test('a writer appending without pause keeps appending after the trim, and the file stays capped', async (t) => {
  const d = await dir(t);
  const log = join(d, 'serial.log');
  await writeFile(log, '');
  const cap = new LogCap([{ path: log, limits: { maxBytes: 64 * 1024, keepBytes: 16 * 1024 } }], { intervalMs: 50 });
  t.after(() => cap.close());
  // The writer holds its fd (O_APPEND) like QEMU does.
  const ws = createWriteStream(log, { flags: 'a' });
  let largest = 0;
  let n = 0;
  for (let burst = 0; burst < 200; burst++) {
    ws.write(lines(n, n + 100)); // 1400 bytes
    n += 100;
    if (!ws.write('')) await once(ws, 'drain');
    await new Promise((r) => setTimeout(r, 2)); // a writer's pace (a fast UART), not a wait for an outcome
    largest = Math.max(largest, (await stat(log)).size);
  }
  ws.end();
  await once(ws, 'close');
  await cap.close();
  const text = await readFile(log, 'utf8');
  assert.ok(largest < 64 * 1024 + 16 * 1400, `largest size seen ${largest}`);
  // The trim's read-to-the-end, truncate and append-back are one synchronous sequence (see
  // log-cap.ts): the newest line is kept.
  assert.ok(text.includes(`line ${String(n - 1).padStart(8, '0')}\n`), 'the newest line is in the file');
  assert.ok((await stat(`${log}.1`)).size <= 24 * 1024, '.1 holds at most trimAt - keep');
});
