/**
 * Compact storage of an embedding: 8-bit affine quantisation with a per-row offset and step, as base64 text.
 *
 * Why: D1 hands a BLOB back to a Worker as an array of byte numbers, so reading 10k examples' two float32
 * views (100 MB) cost ~10 s of CPU in the retraining job. A quantised view is a quarter of the bytes, and as
 * text it crosses the D1 boundary as one string per row. MobileNet embeddings are averaged ReLU6 outputs in
 * [0, 6]; one step is (max - min) / 255 of the row, so the rounding error is at most half of that (~0.01).
 */

/** Marks the format, so another encoding can follow without guessing. */
const PREFIX = 'q8:';
/** min (float32), step (float32), then one byte per value. */
const HEADER_BYTES = 8;

/**
 * Encodes one embedding row.
 * @param values the row (any finite floats; ReLU6 outputs in practice)
 * @returns `q8:` + base64 of [min f32 LE, step f32 LE, q0..q(d-1)], value = min + q * step
 */
export function encodeEmbedding(values: Float32Array): string {
  const bytes = new Uint8Array(HEADER_BYTES + values.length);
  const header = new Float32Array(bytes.buffer, 0, 2);
  [header[0], header[1]] = quantiseInto(values, bytes, HEADER_BYTES);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 8192) binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return PREFIX + btoa(binary);
}

/**
 * The quantisation of {@link encodeEmbedding}: writes the codes of `values` into `codes` at `at`.
 * @returns [min, step] rounded to float32 (value = min + code * step), as stored
 */
function quantiseInto(values: Float32Array, codes: Uint8Array, at: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  // Quantise against the float32-rounded header, which is what the decoder will use.
  const fmin = Math.fround(min);
  const step = Math.fround((max - min) / 255);
  for (let i = 0; i < values.length; i++) {
    const q = step > 0 ? Math.round((values[i] - fmin) / step) : 0;
    codes[at + i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return [fmin, step];
}

/** Number of values an encoded row holds. @throws Error when the text is not in this format */
export function encodedLength(text: string): number {
  if (!text.startsWith(PREFIX)) throw new Error('not a q8 embedding');
  const chars = text.length - PREFIX.length;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (chars / 4) * 3 - padding - HEADER_BYTES;
}

/**
 * Decodes a row written by {@link encodeEmbedding} into `out` at `offset` (no allocation of the values).
 * @throws Error when the text is not in this format or does not fit in `out`
 */
export function decodeEmbeddingInto(text: string, out: Float32Array, offset: number): number {
  if (!text.startsWith(PREFIX)) throw new Error('not a q8 embedding');
  const binary = atob(text.slice(PREFIX.length));
  const n = binary.length - HEADER_BYTES;
  if (n < 0 || offset + n > out.length) throw new Error(`a q8 embedding of ${n} values does not fit at ${offset} of ${out.length}`);
  const header = new Uint8Array(HEADER_BYTES);
  for (let i = 0; i < HEADER_BYTES; i++) header[i] = binary.charCodeAt(i);
  const [min, step] = new Float32Array(header.buffer);
  for (let i = 0; i < n; i++) out[offset + i] = min + binary.charCodeAt(HEADER_BYTES + i) * step;
  return n;
}

/** Decodes a row written by {@link encodeEmbedding} into a new Float32Array. */
export function decodeEmbedding(text: string): Float32Array {
  const out = new Float32Array(encodedLength(text));
  decodeEmbeddingInto(text, out, 0);
  return out;
}

/**
 * Embedding rows kept 8-bit in memory, as stored: row r, column j is `offset[r] + step[r] * codes[r * width + j]`
 * (a quarter of the bytes of float32; the retraining job trains on them without expanding them).
 */
export interface QuantisedRows {
  /** [rows * width] */
  codes: Uint8Array;
  /** [rows], float32 as stored */
  offset: Float32Array;
  /** [rows], float32 as stored */
  step: Float32Array;
  width: number;
}

/** Empty storage for `rows` rows of `width` values. */
export function allocateQuantisedRows(rows: number, width: number): QuantisedRows {
  return { codes: new Uint8Array(rows * width), offset: new Float32Array(rows), step: new Float32Array(rows), width };
}

/** The first `rows` rows of `source`, in a copy of `capacity` rows (to grow a buffer). */
export function resizeQuantisedRows(source: QuantisedRows, rows: number, capacity: number): QuantisedRows {
  const out = allocateQuantisedRows(capacity, source.width);
  out.codes.set(source.codes.subarray(0, rows * source.width));
  out.offset.set(source.offset.subarray(0, rows));
  out.step.set(source.step.subarray(0, rows));
  return out;
}

/** Views of the first `rows` rows (no copy). */
export function firstQuantisedRows(source: QuantisedRows, rows: number): QuantisedRows {
  return {
    codes: source.codes.subarray(0, rows * source.width),
    offset: source.offset.subarray(0, rows),
    step: source.step.subarray(0, rows),
    width: source.width,
  };
}

/** base64 alphabet -> 6-bit value; 255 for anything else. */
const BASE64 = (() => {
  const table = new Uint8Array(128).fill(255);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/**
 * Decodes a row written by {@link encodeEmbedding} straight into row `row` of `into` (codes, offset and step as
 * stored: no float expansion and no intermediate string).
 * @throws Error when the text is not in this format or its length is not `into.width`
 */
export function decodeEmbeddingCodes(text: string, into: QuantisedRows, row: number): void {
  if (!text.startsWith(PREFIX) || (text.length - PREFIX.length) % 4 !== 0) throw new Error('not a q8 embedding');
  const n = encodedLength(text);
  if (n !== into.width) throw new Error(`a q8 embedding of ${n} values where ${into.width} were expected`);
  const header = new Uint8Array(HEADER_BYTES);
  const codes = into.codes;
  const base = row * into.width - HEADER_BYTES;
  let out = 0;
  const total = HEADER_BYTES + n;
  for (let i = PREFIX.length; out < total; i += 4) {
    const a = BASE64[text.charCodeAt(i) & 127];
    const b = BASE64[text.charCodeAt(i + 1) & 127];
    const c = BASE64[text.charCodeAt(i + 2) & 127];
    const d = BASE64[text.charCodeAt(i + 3) & 127];
    const bits = (a << 18) | (b << 12) | ((c & 63) << 6) | (d & 63);
    if ((a | b) > 63 || (c > 63 && out + 1 < total) || (d > 63 && out + 2 < total)) throw new Error('not a q8 embedding');
    for (let k = 0; k < 3 && out < total; k++, out++) {
      const byte = (bits >>> (16 - 8 * k)) & 255;
      if (out < HEADER_BYTES) header[out] = byte;
      else codes[base + out] = byte;
    }
  }
  const [min, step] = new Float32Array(header.buffer);
  into.offset[row] = min;
  into.step[row] = step;
}

/** Quantises a float row (an embedding not yet stored in the compact format) into row `row` of `into`, as {@link encodeEmbedding} would. */
export function quantiseEmbeddingInto(values: Float32Array, into: QuantisedRows, row: number): void {
  if (values.length !== into.width) throw new Error(`an embedding of ${values.length} values where ${into.width} were expected`);
  [into.offset[row], into.step[row]] = quantiseInto(values, into.codes, row * into.width);
}

/** Expands row `row` of `rows` to float32 into `out` at `at`, exactly as {@link decodeEmbeddingInto} would. */
export function dequantiseRowInto(rows: QuantisedRows, row: number, out: Float32Array, at: number): void {
  const { codes, width } = rows;
  const min = rows.offset[row];
  const step = rows.step[row];
  for (let j = 0, o = row * width; j < width; j++) out[at + j] = min + codes[o + j] * step;
}
