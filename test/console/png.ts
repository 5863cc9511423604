// A small PNG reader for tests: checks the signature, reads IHDR, and decodes 8-bit
// greyscale/RGB/RGBA (non-interlaced) pixels — enough to tell a real screen from a blank one.
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** Bytes per pixel of the decoded rows. */
  channels: number;
  /** Row-major pixel bytes, filters undone. */
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Whether the bytes start with the PNG signature. */
export function isPng(bytes: Buffer): boolean {
  return bytes.length > 8 && bytes.subarray(0, 8).equals(SIGNATURE);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes a PNG; throws naming what it expected when the file is not one it can read. */
export function decodePng(bytes: Buffer): DecodedPng {
  if (!isPng(bytes)) throw new Error(`not a PNG: the first bytes are ${bytes.subarray(0, 8).toString('hex')}`);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.subarray(at + 4, at + 8).toString('latin1');
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      const interlace = data[12];
      if (depth !== 8 || interlace !== 0) throw new Error(`expected an 8-bit non-interlaced PNG, found depth ${depth} interlace ${interlace}`);
      channels = colour === 0 ? 1 : colour === 2 ? 3 : colour === 6 ? 4 : colour === 4 ? 2 : 0;
      if (channels === 0) throw new Error(`expected colour type 0, 2, 4 or 6, found ${colour}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (width === 0 || height === 0) throw new Error('PNG without IHDR');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[y * stride + x - channels]! : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels]! : 0;
      const v = line[x]!;
      const out = filter === 0 ? v : filter === 1 ? v + a : filter === 2 ? v + b : filter === 3 ? v + ((a + b) >> 1) : filter === 4 ? v + paeth(a, b, c) : NaN;
      if (Number.isNaN(out)) throw new Error(`unknown PNG filter ${filter} on row ${y}`);
      pixels[y * stride + x] = out & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

/** How many distinct colours the image has (stops counting at `limit`). */
export function distinctColours(png: DecodedPng, limit = 16): number {
  const seen = new Set<string>();
  for (let i = 0; i < png.pixels.length && seen.size < limit; i += png.channels) seen.add(png.pixels.subarray(i, i + png.channels).toString('hex'));
  return seen.size;
}
