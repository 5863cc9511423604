import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkFramer } from './node-adapter.ts';

test('a stream chunk is framed as one HTTP/1.1 chunk, its length in bytes, and the same chunk is framed once', () => {
  const framer = new ChunkFramer();
  const chunk = `{"type":"MODIFIED","object":{"name":"é${'x'.repeat(20)}"}}\n`;
  const frame = framer.frame(chunk);
  const bytes = Buffer.byteLength(chunk);
  assert.equal(frame.toString(), `${bytes.toString(16)}\r\n${chunk}\r\n`);
  assert.equal(framer.frame(chunk), frame, 'the next watcher of the same chunk gets the same buffer');
  assert.notEqual(framer.frame(`${chunk} `), frame);
});
