/**
 * Seeded, structure-aware mutations of encoded images for the fuzz harness. A case is fully determined by
 * (seed, case number, the source list), so any failure is reproduced by its seed and number alone.
 */

/** mulberry32: a small fast PRNG; the same seed gives the same stream everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The PRNG of one case: mixes the run's seed and the case number. */
export function caseRandom(seed: number, caseNo: number): () => number {
  return prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(caseNo + 1, 0xc2b2ae35));
}

type Rand = () => number;
const int = (rand: Rand, n: number) => Math.floor(rand() * n);

/** A span of the file that is one unit of its format: a JPEG segment (with its scan data), a PNG or RIFF chunk. */
interface Unit {
  start: number;
  end: number;
  /** offsets of the unit's header fields worth editing (sizes, counts), each with its width in bytes */
  fields: { at: number; bytes: number; littleEndian: boolean }[];
}

function jpegUnits(b: Uint8Array): Unit[] {
  const units: Unit[] = [];
  let pos = 2;
  while (pos + 4 <= b.length && b[pos] === 0xff) {
    const marker = b[pos + 1];
    const length = (b[pos + 2] << 8) | b[pos + 3];
    let end = pos + 2 + length;
    const fields = [{ at: pos + 2, bytes: 2, littleEndian: false }];
    if (marker >= 0xc0 && marker <= 0xc2) fields.push({ at: pos + 5, bytes: 2, littleEndian: false }, { at: pos + 7, bytes: 2, littleEndian: false }, { at: pos + 9, bytes: 1, littleEndian: false });
    if (marker === 0xda) {
      fields.push({ at: pos + 4, bytes: 1, littleEndian: false }, { at: end - 3, bytes: 1, littleEndian: false }, { at: end - 2, bytes: 1, littleEndian: false }, { at: end - 1, bytes: 1, littleEndian: false });
      // The scan's entropy-coded data runs to the next marker that is not a stuffed 0xFF00 or a restart.
      while (end + 1 < b.length && !(b[end] === 0xff && b[end + 1] !== 0 && (b[end + 1] < 0xd0 || b[end + 1] > 0xd7))) end++;
    }
    if (end > b.length || length < 2) break;
    units.push({ start: pos, end, fields });
    pos = end;
  }
  return units;
}

function pngUnits(b: Uint8Array): Unit[] {
  const units: Unit[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let pos = 8; pos + 12 <= b.length;) {
    const length = view.getUint32(pos);
    const end = pos + 12 + length;
    if (end > b.length) break;
    const fields = [{ at: pos, bytes: 4, littleEndian: false }, { at: end - 4, bytes: 4, littleEndian: false }];
    if (b[pos + 4] === 0x49 && b[pos + 5] === 0x48) fields.push({ at: pos + 8, bytes: 4, littleEndian: false }, { at: pos + 12, bytes: 4, littleEndian: false }, { at: pos + 16, bytes: 1, littleEndian: false }, { at: pos + 17, bytes: 1, littleEndian: false });
    units.push({ start: pos, end, fields });
    pos = end;
  }
  return units;
}

function riffUnits(b: Uint8Array): Unit[] {
  const units: Unit[] = [];
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let pos = 12; pos + 8 <= b.length;) {
    const length = view.getUint32(pos + 4, true);
    const end = pos + 8 + length + (length & 1);
    if (end > b.length) break;
    // Header of the bitstream itself: VP8 frame size fields at +14/+16, VP8L packed sizes at +9..+12, VP8X canvas at +12/+15.
    const fields = [{ at: pos + 4, bytes: 4, littleEndian: true }, { at: pos + 9, bytes: 2, littleEndian: true }, { at: pos + 11, bytes: 2, littleEndian: true }, { at: pos + 14, bytes: 2, littleEndian: true }, { at: pos + 16, bytes: 2, littleEndian: true }];
    units.push({ start: pos, end, fields: fields.filter((f) => f.at + f.bytes <= end) });
    pos = end;
  }
  return units;
}

/** The format's units, or none when the bytes are not (any more) recognisable. */
export function unitsOf(b: Uint8Array): Unit[] {
  if (b[0] === 0xff && b[1] === 0xd8) return jpegUnits(b);
  if (b[0] === 0x89 && b[1] === 0x50) return pngUnits(b);
  if (b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57) return riffUnits(b);
  return [];
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Values that make header fields interesting: zero, one, all ones, big, powers of two, off by one. */
function interestingValue(rand: Rand, bytes: number, old: number): number {
  const max = bytes >= 4 ? 0xffffffff : (1 << (8 * bytes)) - 1;
  const picks = [0, 1, max, max >>> 1, old + 1, old - 1, old * 2, old * 16, 7000, 0x4000, 1 << int(rand, 8 * bytes), int(rand, max + 1)];
  return (picks[int(rand, picks.length)] >>> 0) & max;
}

function writeField(b: Uint8Array, f: { at: number; bytes: number; littleEndian: boolean }, value: number): void {
  for (let i = 0; i < f.bytes; i++) {
    const shift = 8 * (f.littleEndian ? i : f.bytes - 1 - i);
    b[f.at + i] = (value >>> shift) & 0xff;
  }
}

function readField(b: Uint8Array, f: { at: number; bytes: number; littleEndian: boolean }): number {
  let v = 0;
  for (let i = 0; i < f.bytes; i++) v += b[f.at + i] * 2 ** (8 * (f.littleEndian ? i : f.bytes - 1 - i));
  return v;
}

export const MUTATIONS = ['bit-flips', 'byte-run', 'duplicate-unit', 'remove-unit', 'repeat-scan', 'header-field', 'truncate', 'splice'] as const;
export type MutationName = (typeof MUTATIONS)[number];

type Mutator = (b: Uint8Array, rand: Rand, other: Uint8Array) => Uint8Array;

const mutators: Record<MutationName, Mutator> = {
  'bit-flips': (b, rand) => {
    const out = b.slice();
    for (let n = 1 + int(rand, 8); n > 0; n--) out[int(rand, out.length)] ^= 1 << int(rand, 8);
    return out;
  },
  'byte-run': (b, rand) => {
    const out = b.slice();
    const start = int(rand, out.length);
    const value = [0, 0xff, int(rand, 256)][int(rand, 3)];
    out.fill(value, start, Math.min(out.length, start + 1 + int(rand, 64)));
    return out;
  },
  'duplicate-unit': (b, rand) => {
    const units = unitsOf(b);
    if (units.length === 0) return mutators['bit-flips'](b, rand, b);
    const u = units[int(rand, units.length)];
    return join(b.subarray(0, u.end), b.subarray(u.start, u.end), b.subarray(u.end));
  },
  'remove-unit': (b, rand) => {
    const units = unitsOf(b);
    if (units.length === 0) return mutators['byte-run'](b, rand, b);
    const u = units[int(rand, units.length)];
    return join(b.subarray(0, u.start), b.subarray(u.end));
  },
  // Many copies of one JPEG scan (the scan-flood shape); other formats get a chunk repeated.
  'repeat-scan': (b, rand) => {
    const units = unitsOf(b);
    const scans = units.filter((u) => b[u.start + 1] === 0xda);
    const pool = scans.length > 0 ? scans : units;
    if (pool.length === 0) return mutators.truncate(b, rand, b);
    const u = pool[int(rand, pool.length)];
    const copies = 2 + int(rand, 200);
    return join(b.subarray(0, u.end), ...Array.from({ length: copies }, () => b.subarray(u.start, u.end)), b.subarray(u.end));
  },
  'header-field': (b, rand) => {
    const fields = unitsOf(b).flatMap((u) => u.fields).filter((f) => f.at >= 0 && f.at + f.bytes <= b.length);
    if (fields.length === 0) return mutators['bit-flips'](b, rand, b);
    const out = b.slice();
    const f = fields[int(rand, fields.length)];
    writeField(out, f, interestingValue(rand, f.bytes, readField(out, f)));
    return out;
  },
  truncate: (b, rand) => b.slice(0, int(rand, b.length)),
  splice: (b, rand, other) => {
    const at = int(rand, b.length);
    const from = int(rand, other.length);
    const length = 1 + int(rand, Math.min(4096, other.length - from));
    return join(b.subarray(0, at), other.subarray(from, from + length), b.subarray(at + int(rand, 2) * length));
  },
};

/**
 * Case `caseNo` of a run with `seed`: a source picked from `sources` and 1 to 3 mutations applied in turn.
 * @returns the mutated bytes, the source's index and the mutations applied (for the failure report)
 */
export function makeCase(seed: number, caseNo: number, sources: readonly Uint8Array[]): { bytes: Uint8Array; source: number; mutations: MutationName[] } {
  const rand = caseRandom(seed, caseNo);
  const source = int(rand, sources.length);
  let bytes = sources[source];
  const mutations: MutationName[] = [];
  for (let n = 1 + int(rand, 3); n > 0 && bytes.length > 0; n--) {
    const name = MUTATIONS[int(rand, MUTATIONS.length)];
    bytes = mutators[name](bytes, rand, sources[int(rand, sources.length)]);
    mutations.push(name);
  }
  return { bytes, source, mutations };
}
