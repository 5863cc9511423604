// Fuzzing the tar reader: whatever bytes a registry's layer holds, in whatever chunks they
// arrive, the reader either emits well-formed events or throws TarFormatError, never emits
// more data than it was given, and never buffers more than one header plus the metadata cap.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TarFormatError, TarReader, type TarEvent } from './tar-reader.ts';

const META_CAP = 4096;

/** A ustar header block for `path` of `size` bytes with type `flag`. */
function header(path: string, size: number, flag: string): Buffer {
  const b = Buffer.alloc(512);
  b.write(path.slice(0, 100), 0, 'utf8');
  b.write('0000644\0', 100, 'ascii');
  b.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  b.write(flag, 156, 'ascii');
  b.write('ustar\0' + '00', 257, 'ascii');
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return b;
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A plausible archive: files, pax and long-name members with honest sizes, then the end marker. */
const archive = fc
  .array(
    fc.record({
      flag: fc.constantFrom('0', '5', '2', 'x', 'g', 'L', 'K'),
      path: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes('\0')),
      data: fc.uint8Array({ maxLength: 1500 }),
    }),
    { maxLength: 6 },
  )
  .map((members) => {
    const parts: Buffer[] = [];
    for (const m of members) {
      const data = m.flag === '5' || m.flag === '2' ? Buffer.alloc(0) : Buffer.from(m.data);
      parts.push(header(m.path, data.length, m.flag), data, pad(data.length));
    }
    parts.push(Buffer.alloc(1024));
    return Buffer.concat(parts);
  });

/** Flips, truncates or overwrites bytes of `base`. */
const mutated = fc.tuple(archive, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.option(fc.nat())).map(([base, edits, cut]) => {
  const b = Buffer.from(base);
  for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
  return cut === null || b.length === 0 ? b : b.subarray(0, cut % b.length);
});

const chunkSizes = fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: 1, maxLength: 10 });

/** Feeds `bytes` in chunks; returns the events, or the TarFormatError it threw. */
function feed(bytes: Buffer, sizes: number[]): { events: TarEvent[]; error?: TarFormatError } {
  const reader = new TarReader({ maxMetaBytes: META_CAP });
  const events: TarEvent[] = [];
  try {
    let i = 0;
    for (let at = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length]!;
      events.push(...reader.push(bytes.subarray(at, at + size)));
      at += size;
      // Internal buffering stays below one header block whatever the chunking.
      assert.ok((reader as unknown as { pending: Buffer }).pending.length < 512);
      const meta = (reader as unknown as { metaParts: Buffer[] }).metaParts.reduce((n, p) => n + p.length, 0);
      assert.ok(meta <= META_CAP, `metadata buffered ${meta} > ${META_CAP}`);
    }
    events.push(...reader.end());
    return { events };
  } catch (err) {
    if (err instanceof TarFormatError) return { events, error: err };
    throw err;
  }
}

function wellFormed(bytes: Buffer, events: TarEvent[]): void {
  let inEntry = false;
  let dataBytes = 0;
  let declared = 0;
  for (const e of events) {
    if (e.kind === 'entry') {
      assert.ok(!inEntry, 'entry inside an entry');
      assert.ok(Number.isSafeInteger(e.header.size) && e.header.size >= 0);
      inEntry = true;
      declared = e.header.size;
    } else if (e.kind === 'data') {
      assert.ok(inEntry, 'data outside an entry');
      dataBytes += e.chunk.length;
      declared -= e.chunk.length;
      assert.ok(declared >= 0, 'more data than the header declared');
    } else if (e.kind === 'entry-end') {
      assert.ok(inEntry && declared === 0, 'entry ended early');
      inEntry = false;
    }
  }
  assert.ok(dataBytes <= bytes.length, 'never more data than input');
}

test('any bytes in any chunks: well-formed events or TarFormatError, nothing else', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)), archive, mutated), chunkSizes, (bytes, sizes) => {
      const { events } = feed(bytes, sizes);
      wellFormed(bytes, events);
    }),
    { numRuns: 3000 },
  );
});

test('an unmutated archive reads to its end the same whatever the chunking', () => {
  fc.assert(
    fc.property(archive, chunkSizes, (bytes, sizes) => {
      const whole = feed(bytes, [bytes.length || 1]);
      const chunked = feed(bytes, sizes);
      const shape = (r: { events: TarEvent[]; error?: TarFormatError }) => ({
        error: r.error?.message,
        entries: r.events.filter((e) => e.kind === 'entry').map((e) => (e.kind === 'entry' ? e.header : undefined)),
        data: Buffer.concat(r.events.flatMap((e) => (e.kind === 'data' ? [e.chunk] : []))).toString('hex'),
      });
      assert.deepEqual(shape(chunked), shape(whole));
      // Members within the cap always read: only oversized metadata may refuse a well-formed archive.
      if (whole.error === undefined) assert.equal(whole.events.at(-1)?.kind, 'end');
    }),
    { numRuns: 1000 },
  );
});

test('a metadata member over the cap is refused at its header, before it is buffered', () => {
  const reader = new TarReader({ maxMetaBytes: META_CAP });
  for (const flag of ['x', 'g', 'L', 'K']) {
    assert.throws(() => new TarReader({ maxMetaBytes: META_CAP }).push(header('././@PaxHeader', 600 * 1024 * 1024, flag)), (err: unknown) => {
      assert.ok(err instanceof TarFormatError);
      assert.match(err.message, /expected a (pax|GNU long-name) header of at most 4096 bytes, found one of 629145600 bytes/);
      return true;
    });
  }
  // The default cap: 1 MiB.
  assert.throws(() => new TarReader().push(header('p', 1024 * 1024 + 1, 'x')), /at most 1048576 bytes/);
  assert.deepEqual(reader.push(header('p', 10, 'x')), []);
});
