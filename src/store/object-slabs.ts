// The stored objects' bytes, packed into 1 MiB slabs rather than one buffer each. A buffer of its
// own costs an object ~400 bytes beside its JSON (the Buffer and ArrayBuffer objects on V8's heap,
// the backing store and its malloc header outside it; docs/benchmarks.md, "API server: memory per
// stored object"). A slab is written once, front to back, and never overwritten: a replaced or
// removed object's bytes stay in place (a view handed to a list still reads them) and count as
// dead, and once a slab other than the one being filled is half dead, its live objects are copied
// into the current slab and it is dropped (freed when no view holds it). So at most about twice
// the live bytes are held, and a view is valid for as long as it is held.

/** A slab: a buffer filled front to back. */
export interface Slab {
  readonly buffer: Buffer;
  /** Bytes written (the next object goes at this offset). */
  used: number;
  /** Bytes of replaced or removed objects. */
  dead: number;
}

/** Where one object's bytes are; ObjectSlabs moves them (and updates this) when it compacts. */
export interface Placed {
  slab: Slab;
  offset: number;
  length: number;
}

export const SLAB_BYTES = 2 ** 20;

/** The slabs of one store's objects. `live` lists every object placed and not yet freed (what compaction moves). */
export class ObjectSlabs {
  readonly #slabBytes: number;
  readonly #live: () => Iterable<Placed>;
  /** Every slab that may hold a live object. */
  readonly #slabs = new Set<Slab>();
  #current: Slab | undefined;

  constructor(live: () => Iterable<Placed>, slabBytes = SLAB_BYTES) {
    this.#live = live;
    this.#slabBytes = slabBytes;
  }

  /** Writes `text` as UTF-8 into a slab and says where. An object over a quarter of a slab gets a slab of its own. */
  place(text: string): Placed {
    const length = Buffer.byteLength(text);
    const { slab, offset } = this.#reserve(length);
    slab.buffer.write(text, offset);
    return { slab, offset, length };
  }

  /** The object's bytes, a view of its slab. */
  static bytes(placed: Placed): Buffer {
    return placed.slab.buffer.subarray(placed.offset, placed.offset + placed.length);
  }

  /** Counts an object's bytes as dead (it was replaced or removed); compacts its slab once half of it is. */
  free(placed: Placed): void {
    const { slab } = placed;
    slab.dead += placed.length;
    if (slab !== this.#current) this.#compactIfSparse(slab);
  }

  /** Slabs held and their bytes (for tests and benchmarks). */
  stats(): { slabs: number; usedBytes: number; deadBytes: number } {
    let usedBytes = 0;
    let deadBytes = 0;
    for (const slab of this.#slabs) (usedBytes += slab.used), (deadBytes += slab.dead);
    return { slabs: this.#slabs.size, usedBytes, deadBytes };
  }

  /** `length` bytes in the current slab if they fit, else in a new one (the old one compacted if sparse). */
  #reserve(length: number): { slab: Slab; offset: number } {
    if (length > this.#slabBytes / 4) {
      const slab: Slab = { buffer: Buffer.allocUnsafeSlow(length), used: length, dead: 0 };
      this.#slabs.add(slab);
      return { slab, offset: 0 };
    }
    const slab = this.#current;
    if (!slab || slab.used + length > slab.buffer.length) {
      const fresh: Slab = { buffer: Buffer.allocUnsafeSlow(this.#slabBytes), used: 0, dead: 0 };
      this.#slabs.add(fresh);
      this.#current = fresh;
      if (slab) this.#compactIfSparse(slab);
      // Compaction moved less than half a slab into the fresh one; look again all the same.
      return this.#reserve(length);
    }
    const offset = slab.used;
    slab.used += length;
    return { slab, offset };
  }

  /** Copies a slab's live objects into the current one and drops it, once half of it is dead. */
  #compactIfSparse(slab: Slab): void {
    if (slab.dead * 2 < slab.used) return;
    this.#slabs.delete(slab);
    if (slab.dead >= slab.used) return; // nothing live in it
    for (const placed of this.#live()) {
      if (placed.slab !== slab) continue;
      const to = this.#reserve(placed.length);
      slab.buffer.copy(to.slab.buffer, to.offset, placed.offset, placed.offset + placed.length);
      placed.slab = to.slab;
      placed.offset = to.offset;
    }
  }
}
