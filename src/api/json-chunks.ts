// A RawJson body cut into chunks for the socket: the parts are copied into buffers of
// CHUNK_BYTES taken from a small pool and given back once the socket has written them. A
// 2,500-item list (4 MB) leaves as ~64 writes of 64 KiB instead of one 4 MB buffer: no fresh
// multi-megabyte allocation whose pages fault in on first touch (then again in TLS's output
// buffer and the client's), the client decrypts the first chunks while the server encrypts
// the next, and the socket's backpressure bounds what is buffered (docs/decisions.md,
// "Lists written in chunks").
import type { RawJson } from './http-types.ts';

/** A chunk's size: four full TLS records, and below glibc's mmap threshold (128 KiB). */
export const CHUNK_BYTES = 64 * 1024;

/** Buffers of one size, reused: at most `keep` are held while unused. */
export class ChunkPool {
  readonly #free: Buffer[] = [];
  constructor(readonly size: number = CHUNK_BYTES, readonly keep: number = 16) {}

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives `buffer` back; only once nothing will read it again (after its write completed). */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.#free.length < this.keep) this.#free.push(buffer);
  }

  get pooled(): number {
    return this.#free.length;
  }
}

const COMMA = Buffer.from(',');

/** Walks a RawJson's bytes in order: head, items with commas between, tail. */
export class JsonChunker {
  /** Parts in order, built lazily: -1 is the head, 2i an item, 2i−1 the comma before it, 2n−1 the tail. */
  #part = -1;
  #offset = 0;
  constructor(readonly raw: RawJson) {}

  #bytes(part: number): Buffer | undefined {
    const items = this.raw.items;
    if (part === -1) return this.raw.head;
    if (part === Math.max(1, 2 * items.length) - 1) return this.raw.tail;
    if (part >= 2 * items.length) return undefined;
    return part % 2 === 0 ? items[part / 2] : COMMA;
  }

  /**
   * The next chunk: as much as fits copied into `target` (a view of it), or a part larger than
   * `target` itself when it comes first (written as it is, not copied); undefined at the end.
   */
  next(target: Buffer): Buffer | undefined {
    let at = 0;
    for (let bytes = this.#bytes(this.#part); bytes !== undefined; bytes = this.#bytes(this.#part)) {
      if (this.#offset === 0 && bytes.length > target.length) {
        if (at > 0) break;
        this.#part++;
        return bytes;
      }
      const n = bytes.copy(target, at, this.#offset);
      at += n;
      this.#offset += n;
      if (this.#offset < bytes.length) return target.subarray(0, at);
      this.#part++;
      this.#offset = 0;
      if (at === target.length) break;
    }
    return at > 0 ? target.subarray(0, at) : undefined;
  }
}
