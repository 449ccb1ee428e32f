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
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  const header = new Float32Array([min, (max - min) / 255]);
  // Quantise against the float32-rounded header, which is what the decoder will use.
  const [fmin, step] = header;
  const bytes = new Uint8Array(HEADER_BYTES + values.length);
  bytes.set(new Uint8Array(header.buffer), 0);
  for (let i = 0; i < values.length; i++) {
    const q = step > 0 ? Math.round((values[i] - fmin) / step) : 0;
    bytes[HEADER_BYTES + i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  let binary = '';
  for (let i = 0; i < bytes.length; i += 8192) binary += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return PREFIX + btoa(binary);
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
