import { describe, expect, it } from 'vitest';
import { buildHuffmanTable, huffmanTableFor, LOOKAHEAD, PAIR_BITS } from '../../shared/image/jpeg/huffman.ts';

// The example luminance AC table of the JPEG standard (Annex K.3, libjpeg's std_huff_tables).
const COUNTS = new Uint8Array([0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]);
const VALUES = new Uint8Array([
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32,
  0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16,
  0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
  0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
  0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
  0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
  0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8,
  0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
  0xf9, 0xfa,
]);

/** The canonical code of each symbol, bit by bit, as the standard defines it (no tables). */
function codes(): Map<string, number> {
  const out = new Map<string, number>();
  let code = 0, k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < COUNTS[len - 1]; i++) out.set((code++).toString(2).padStart(len, '0'), VALUES[k++]);
    code <<= 1;
  }
  return out;
}

/** Reads one AC symbol and its magnitude from the front of `bits`; null when they do not fit. */
function readSymbol(bits: string, table: Map<string, number>): { run: number; size: number; value: number; used: number } | null {
  for (let len = 1; len <= bits.length; len++) {
    const symbol = table.get(bits.slice(0, len));
    if (symbol === undefined) continue;
    const run = symbol >> 4, size = symbol & 15;
    if (len + size > bits.length) return null;
    const raw = size ? parseInt(bits.slice(len, len + size), 2) : 0;
    const value = size && raw < 1 << (size - 1) ? raw - (1 << size) + 1 : raw;
    return { run, size, value, used: len + size };
  }
  return null;
}

describe('JPEG Huffman decoding tables', () => {
  const table = buildHuffmanTable(COUNTS, VALUES);
  const canonical = codes();

  it('acPair gives, for every window whose first code is a fast coefficient, the second code exactly as the standard reads it', () => {
    let pairs = 0, ends = 0, singles = 0;
    for (let i = 0; i < 1 << PAIR_BITS; i++) {
      const first = table.acFast[i >> (PAIR_BITS - LOOKAHEAD)];
      if (first === 0 || first >> 8 === 0) continue;
      const bits = i.toString(2).padStart(PAIR_BITS, '0');
      const one = readSymbol(bits, canonical)!;
      expect([one.value, one.run, one.used]).toEqual([first >> 8, (first >> 4) & 15, first & 15]);
      const two = readSymbol(bits.slice(one.used), canonical);
      const g = table.acPair[i];
      if (two && two.size === 0 && two.run === 0) {
        ends++;
        expect(g).toBe((1 << 13) | (one.used + two.used));
      } else if (two && two.size > 0) {
        pairs++;
        expect({ value: g >> 14, run: (g >> 4) & 15, advance: (g >> 8) & 31, bits: g & 15, end: (g >> 13) & 1 })
          .toEqual({ value: two.value, run: two.run, advance: two.run + 1, bits: one.used + two.used, end: 0 });
      } else {
        singles++;
        expect(g).toBe(one.used);
      }
    }
    // All three kinds occur in this table.
    expect(Math.min(pairs, ends, singles)).toBeGreaterThan(100);
  });

  it('builds each distinct table once and returns it again for the same DHT bytes', () => {
    const a = huffmanTableFor(COUNTS, VALUES);
    expect(huffmanTableFor(COUNTS.slice(), VALUES.slice())).toBe(a);
    const other = VALUES.slice();
    [other[0], other[1]] = [other[1], other[0]];
    const b = huffmanTableFor(COUNTS, other);
    expect(b).not.toBe(a);
    expect(b.lookup).not.toEqual(a.lookup);
  });
});
