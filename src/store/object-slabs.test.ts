import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectSlabs, type Placed } from './object-slabs.ts';

/** Slabs of `slabBytes` over a set of live placements the test keeps, as an index would. */
function slabsOf(slabBytes: number) {
  const live = new Map<string, Placed>();
  const slabs = new ObjectSlabs(() => live.values(), slabBytes);
  const put = (id: string, text: string) => {
    const previous = live.get(id);
    live.set(id, slabs.place(text));
    if (previous) slabs.free(previous);
  };
  const text = (id: string) => ObjectSlabs.bytes(live.get(id)!).toString();
  return { slabs, live, put, text };
}

test('packs objects front to back into one slab, UTF-8', () => {
  const { slabs, live, put, text } = slabsOf(64);
  put('a', '"ä"');
  put('b', '"bb"');
  assert.equal(text('a'), '"ä"');
  assert.equal(text('b'), '"bb"');
  assert.equal(live.get('a')!.slab, live.get('b')!.slab);
  assert.deepEqual([live.get('a')!.offset, live.get('b')!.offset], [0, 4]);
  assert.deepEqual(slabs.stats(), { slabs: 1, usedBytes: 8, deadBytes: 0 });
});

test('gives an object over a quarter of a slab a slab of its own, dropped once it is replaced', () => {
  const { slabs, live, put, text } = slabsOf(64);
  put('big', `"${'x'.repeat(20)}"`);
  assert.equal(live.get('big')!.slab.buffer.length, 22);
  assert.equal(text('big'), `"${'x'.repeat(20)}"`);
  put('big', '"small"');
  assert.deepEqual(slabs.stats(), { slabs: 1, usedBytes: 7, deadBytes: 0 });
});

test('copies the live objects out of a full slab once half of it is dead, and drops it', () => {
  const { slabs, live, put, text } = slabsOf(40);
  for (const id of ['a', 'b', 'c', 'd']) put(id, `"${id}${id}${id}${id}${id}${id}${id}${id}"`); // 10 bytes each: one full slab
  const first = live.get('a')!.slab;
  const handedOut = ObjectSlabs.bytes(live.get('a')!);
  put('a', '"A"');
  put('b', '"B"'); // the first slab is not being filled: it is half dead, so c and d move
  assert.notEqual(live.get('c')!.slab, first);
  assert.notEqual(live.get('d')!.slab, first);
  assert.deepEqual([text('a'), text('b'), text('c'), text('d')], ['"A"', '"B"', '"cccccccc"', '"dddddddd"']);
  assert.equal(handedOut.toString(), '"aaaaaaaa"', 'a view handed out before still reads its bytes');
  assert.deepEqual(slabs.stats(), { slabs: 1, usedBytes: 26, deadBytes: 0 });
});

test('does not compact the slab being filled, however dead', () => {
  const { slabs, put } = slabsOf(1024);
  for (let i = 0; i < 10; i++) put('a', `"${i}"`);
  assert.deepEqual(slabs.stats(), { slabs: 1, usedBytes: 30, deadBytes: 27 });
});

test('compaction that fills the current slab goes on in a new one', () => {
  const { slabs, live, put, text } = slabsOf(40);
  for (const id of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) put(id, `"${id.repeat(8)}"`); // a–d fill one slab, e–g 30 bytes of the next
  put('a', '"A"');
  put('b', '"B"'); // the first slab is half dead: c and d move, and the second slab has room for neither
  assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'g'].map(text), ['"A"', '"B"', '"cccccccc"', '"dddddddd"', '"eeeeeeee"', '"gggggggg"']);
  assert.equal(live.get('c')!.slab, live.get('d')!.slab);
  assert.notEqual(live.get('c')!.slab, live.get('e')!.slab);
  assert.deepEqual(slabs.stats(), { slabs: 2, usedBytes: 56, deadBytes: 0 });
});
