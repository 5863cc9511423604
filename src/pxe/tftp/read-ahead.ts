// Reads a file in large chunks ahead of where a transfer is, so that a window of blocks is
// usually served from memory without waiting on the disk. Chunk buffers are recycled.
import type { FileHandle } from 'node:fs/promises';

export interface ReadAheadOptions {
  /** Bytes per read (default 1 MiB). */
  chunkBytes?: number;
  /** Chunks kept loading beyond the one being read (default 2). */
  ahead?: number;
}

/** A chunked, read-ahead view of `size` bytes of an open file. */
export class ReadAhead {
  readonly #handle: Pick<FileHandle, 'read'>;
  readonly #size: number;
  readonly #chunkBytes: number;
  readonly #ahead: number;
  readonly #ready = new Map<number, Buffer>();
  readonly #loading = new Map<number, Promise<Buffer>>();
  readonly #spare: Buffer[] = [];
  #closed = false;
  /** Chunks below this were evicted. */
  #lowest = 0;
  readonly #chunks: number;

  constructor(handle: Pick<FileHandle, 'read'>, size: number, options: ReadAheadOptions = {}) {
    this.#handle = handle;
    this.#size = size;
    this.#chunkBytes = options.chunkBytes ?? 1 << 20;
    this.#ahead = options.ahead ?? 2;
    this.#chunks = Math.ceil(size / this.#chunkBytes);
  }

  /** The bytes [offset, offset + length) when already in memory; also moves the read-ahead on. */
  peek(offset: number, length: number): Buffer | undefined {
    const first = Math.floor(offset / this.#chunkBytes);
    const last = length === 0 ? first : Math.floor((offset + length - 1) / this.#chunkBytes);
    this.#advance(first, last);
    if (length === 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for (let i = first; i <= last; i++) {
      const chunk = this.#ready.get(i);
      if (!chunk) return undefined;
      const base = i * this.#chunkBytes;
      parts.push(chunk.subarray(Math.max(0, offset - base), Math.min(chunk.length, offset + length - base)));
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The bytes [offset, offset + length), from memory or once read. */
  async read(offset: number, length: number): Promise<Buffer> {
    const now = this.peek(offset, length);
    if (now) return now;
    const first = Math.floor(offset / this.#chunkBytes);
    const last = Math.floor((offset + length - 1) / this.#chunkBytes);
    const waits: Array<Promise<Buffer>> = [];
    for (let i = first; i <= last; i++) waits.push(this.#load(i));
    await Promise.all(waits);
    const bytes = this.peek(offset, length);
    if (!bytes) throw new Error(`expected bytes ${offset}..${offset + length} in memory after reading, found them evicted`);
    return bytes;
  }

  /** Stops reading ahead and drops the buffers; the handle is the caller's to close. */
  close(): void {
    this.#closed = true;
    this.#ready.clear();
    this.#spare.length = 0;
  }

  #advance(first: number, last: number): void {
    if (this.#lowest < first) this.#evictBelow(first);
    const end = Math.min(last + this.#ahead, this.#chunks - 1);
    for (let i = first; i <= end; i++) if (!this.#ready.has(i) && !this.#loading.has(i)) void this.#load(i).catch(() => undefined);
  }

  #evictBelow(first: number): void {
    this.#lowest = first;
    for (const i of this.#ready.keys()) {
      if (i < first) {
        const buf = this.#ready.get(i);
        this.#ready.delete(i);
        if (buf && buf.buffer.byteLength === this.#chunkBytes && this.#spare.length < 2) this.#spare.push(Buffer.from(buf.buffer, 0, this.#chunkBytes));
      }
    }
  }

  #load(index: number): Promise<Buffer> {
    const ready = this.#ready.get(index);
    if (ready) return Promise.resolve(ready);
    let loading = this.#loading.get(index);
    if (!loading) {
      loading = this.#readChunk(index).finally(() => this.#loading.delete(index));
      this.#loading.set(index, loading);
    }
    return loading;
  }

  async #readChunk(index: number): Promise<Buffer> {
    const position = index * this.#chunkBytes;
    const want = Math.max(0, Math.min(this.#chunkBytes, this.#size - position));
    const buf = this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#chunkBytes);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.#handle.read(buf, got, want - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const chunk = buf.subarray(0, got);
    if (!this.#closed && index >= this.#lowest) this.#ready.set(index, chunk);
    return chunk;
  }
}
