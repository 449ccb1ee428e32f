import { UndecodableImageError } from '../../errors.ts';
import { LONG_CODE_ENTRIES, LOOKAHEAD, PAIR_BITS } from './huffman-layout.ts';

/** Codes up to LOOKAHEAD bits are decoded with one table look-up; longer ones take the canonical slow path. */
export { LOOKAHEAD, PAIR_BITS } from './huffman-layout.ts';

/** A JPEG Huffman table prepared for decoding. */
export interface HuffmanTable {
  /** Indexed by the next LOOKAHEAD bits: (code length << 8) | symbol, or 0 when the code is longer. */
  lookup: Uint16Array;
  /** Largest code of each length 1..16, -1 when there is none. */
  maxCode: Int32Array;
  /** Offset to add to a code of each length to index `values`. */
  valueOffset: Int32Array;
  values: Uint8Array;
  /**
   * For AC decoding, indexed like `lookup`: when a code AND the magnitude bits after it both fit in the next
   * LOOKAHEAD bits, `(value << 8) | (run << 4) | totalBits` (value is never 0); for the end-of-block code,
   * just its length (value 0); else 0. One look-up then replaces decode + receiveExtend for most
   * coefficients of a photo (libjpeg-turbo's fast AC path), and ends most blocks.
   */
  acFast: Int32Array;
  /**
   * For AC decoding, indexed by the next PAIR_BITS bits, meaningful where the first code there is an acFast
   * value (not end-of-block): what to do after that first coefficient, always a valid step. When a second code
   * with its magnitude bits also fits: its value (bits 14 and up, signed), its zero run (bits 4-7), run + 1
   * as the advance (bits 8-12), and the bits of both codes (bits 0-3); for a second end-of-block code, bit 13
   * and the bits of both. Otherwise the first code's bits, advance 0, value 0 (the loop then stores a 0 at
   * the next position, which is still 0). Two coefficients then cost one read of the bit window and no extra
   * branch, which shortens the chain of dependent loads the decode loop waits on.
   */
  acPair: Int32Array;
}


/** Tables built before, by their DHT bytes: a camera writes the same few tables into every photo. */
const built = new Map<string, HuffmanTable>();
const MAX_CACHED = 64;

/**
 * {@link buildHuffmanTable}, remembered: the tables of a scan take ~0.1 ms to build (the two-symbol AC
 * table most), a tenth of a small photo's decode. Tables are never modified once built.
 */
export function huffmanTableFor(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  let key = '';
  for (let i = 0; i < 16; i++) key += String.fromCharCode(counts[i]);
  for (let i = 0; i < values.length; i++) key += String.fromCharCode(values[i]);
  let table = built.get(key);
  if (!table) {
    table = buildHuffmanTable(counts, values);
    // Oldest first out: Map iterates in insertion order.
    if (built.size >= MAX_CACHED) built.delete(built.keys().next().value!);
    built.set(key, table);
  }
  return table;
}

/**
 * Builds a decoding table from the 16 code-length counts and the symbols of a DHT segment.
 * Throws UndecodableImageError when the counts do not describe a valid prefix code.
 */
export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const lookup = new Uint16Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(LONG_CODE_ENTRIES).fill(-1);
  const valueOffset = new Int32Array(LONG_CODE_ENTRIES);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const count = counts[len - 1];
    valueOffset[len] = k - code;
    for (let i = 0; i < count; i++) {
      if (code >= 1 << len || k >= values.length) {
        throw new UndecodableImageError('corrupt JPEG: invalid Huffman table');
      }
      if (len <= LOOKAHEAD) {
        const shift = LOOKAHEAD - len;
        const entry = (len << 8) | values[k];
        const first = code << shift;
        lookup.fill(entry, first, first + (1 << shift));
      }
      code++;
      k++;
    }
    if (count > 0) maxCode[len] = code - 1;
    code <<= 1;
  }
  // Makes the slow path stop at 16 bits however the data looks.
  maxCode[17] = 0x7fffffff;
  const acFast = buildAcFast(lookup);
  return { lookup, maxCode, valueOffset, values, acFast, acPair: buildAcPair(lookup, acFast) };
}

function buildAcFast(lookup: Uint16Array): Int32Array {
  const fast = new Int32Array(1 << LOOKAHEAD);
  for (let i = 0; i < fast.length; i++) {
    const entry = lookup[i];
    if (entry === 0) continue;
    const len = entry >> 8, r = (entry >> 4) & 15, s = entry & 15;
    if (s === 0 && r === 0) {
      fast[i] = len;
      continue;
    }
    // Runs of 16 zeros, and codes whose magnitude bits do not fit, stay on the general path.
    if (s === 0 || len + s > LOOKAHEAD) continue;
    const bits = (i >> (LOOKAHEAD - len - s)) & ((1 << s) - 1);
    const value = bits < 1 << (s - 1) ? bits - (1 << s) + 1 : bits;
    fast[i] = (value << 8) | (r << 4) | (len + s);
  }
  return fast;
}

function buildAcPair(lookup: Uint16Array, acFast: Int32Array): Int32Array {
  const pair = new Int32Array(1 << PAIR_BITS);
  const mask = (1 << PAIR_BITS) - 1;
  for (let i = 0; i < pair.length; i++) {
    const first = acFast[i >> (PAIR_BITS - LOOKAHEAD)];
    if (first === 0 || first >> 8 === 0) continue;
    const used = first & 15;
    pair[i] = used;
    const left = PAIR_BITS - used;
    // The bits after the first code, zero-filled: only a second code that ends within `left` bits counts.
    const rest = (i << used) & mask;
    const entry = lookup[rest >> (PAIR_BITS - LOOKAHEAD)];
    if (entry === 0) continue;
    const len = entry >> 8, r = (entry >> 4) & 15, s = entry & 15;
    if (s === 0) {
      if (r === 0 && len <= left) pair[i] = (1 << 13) | (used + len);
      continue;
    }
    if (len + s > left) continue;
    const bits = (rest >> (PAIR_BITS - len - s)) & ((1 << s) - 1);
    const value = bits < 1 << (s - 1) ? bits - (1 << s) + 1 : bits;
    pair[i] = (value << 14) | ((r + 1) << 8) | (r << 4) | (used + len + s);
  }
  return pair;
}

/**
 * Reads the entropy-coded bits of a scan: removes 0xFF00 stuffing, stops at markers, and feeds zero bits
 * beyond them so look-ahead never reads out of bounds. Consuming any of those fake bits means the data
 * is truncated or corrupt, and throws, so every decode loop is bounded by the input length.
 */
export class BitReader {
  pos: number;
  private buf = 0;
  private cnt = 0;
  /** Fake zero bytes appended at a marker or at the end of the data. */
  private pad = 0;
  private atMarker = false;

  constructor(private readonly data: Uint8Array, start: number) {
    this.pos = start;
  }

  private fill(): void {
    if (this.cnt < this.pad * 8) throw truncated();
    const data = this.data;
    while (this.cnt <= 24) {
      let b = 0;
      if (this.atMarker || this.pos >= data.length) {
        this.pad++;
      } else {
        b = data[this.pos];
        if (b === 0xff) {
          const next = data[this.pos + 1];
          if (next === 0) {
            this.pos += 2;
          } else {
            this.atMarker = true;
            this.pad++;
            b = 0;
          }
        } else {
          this.pos++;
        }
      }
      this.buf = (this.buf << 8) | b;
      this.cnt += 8;
    }
  }

  /** Decodes one Huffman symbol. */
  decode(table: HuffmanTable): number {
    if (this.cnt < 16) this.fill();
    const entry = table.lookup[(this.buf >>> (this.cnt - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)];
    if (entry !== 0) {
      this.cnt -= entry >> 8;
      return entry & 0xff;
    }
    let len = LOOKAHEAD + 1;
    let code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
    while (code > table.maxCode[len]) {
      len++;
      code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
    }
    if (len > 16) throw new UndecodableImageError('corrupt JPEG: invalid Huffman code in the image data');
    this.cnt -= len;
    return table.values[table.valueOffset[len] + code];
  }

  /** Reads n (0..16) raw bits as an unsigned number. */
  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.buf >>> this.cnt) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.cnt < 1) this.fill();
    this.cnt--;
    return (this.buf >>> this.cnt) & 1;
  }

  /** Reads an n-bit magnitude category value and sign-extends it (JPEG's RECEIVE + EXTEND). */
  receiveExtend(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    const v = (this.buf >>> this.cnt) & ((1 << n) - 1);
    return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
  }

  /** Throws when fake bits past a marker or the end of the data have been consumed. */
  checkNotOverrun(): void {
    if (this.cnt < this.pad * 8) throw truncated();
  }

  /** At a restart interval boundary: expects an RSTn marker, skips it, and resets the bit buffer. */
  restart(): void {
    this.checkNotOverrun();
    const data = this.data;
    let p = this.pos;
    // Tolerate stray bytes before the marker, bounded by the data length.
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] >= 0xd0 && data[p + 1] <= 0xd7)) p++;
    if (p + 1 >= data.length) throw truncated();
    this.pos = p + 2;
    this.buf = 0;
    this.cnt = 0;
    this.pad = 0;
    this.atMarker = false;
  }

  /** Position of the marker that ends the scan, for the segment parser to resume from. */
  endOfScan(): number {
    this.checkNotOverrun();
    const data = this.data;
    let p = this.pos;
    while (p + 1 < data.length && !(data[p] === 0xff && data[p + 1] !== 0 && !(data[p + 1] >= 0xd0 && data[p + 1] <= 0xd7))) p++;
    return p;
  }
}

function truncated(): UndecodableImageError {
  return new UndecodableImageError('truncated or corrupt JPEG: the image data ends before all blocks are decoded');
}
