/**
 * The head's binary format, versions 1, 2 and 3. Self-describing, little-endian, 4-byte aligned:
 *
 *   offset  size  field
 *   0       4     magic "EHHD"
 *   4       2     u16 format version (1, 2 or 3)
 *   6       2     u16 v1: reserved, 0; v2/v3: flags (bit 0: per-label thresholds present; bit 1 (v3 only):
 *                 out-of-distribution statistics present; other bits 0)
 *   8       4     u32 embeddingSize d
 *   12      4     u32 label count k
 *   16      4     u32 byte length L of the labels JSON
 *   20      4     u32 v1: reserved, 0; v2: hidden units h (0: no hidden layer)
 *   24      8     f64 temperature
 *   32      L     labels as UTF-8 JSON array of strings (JSON.stringify form), zero-padded to a multiple of 4
 *   ...     4d    f32 featureMean
 *   ...     4d    f32 featureScale
 *   ...     4dh   v2 with h > 0: f32 hidden weights, row-major [d][h]
 *   ...     4h    v2 with h > 0: f32 hidden bias
 *   ...     4ik   f32 weights, row-major [i][k] with i = h if h > 0 else d
 *   ...     4k    f32 bias
 *   ...     4k    v2 with flag bit 0: f32 thresholds, each in [0, 1]
 *   ...     4     v3 (flag bit 1): u32 OOD rank r >= 1
 *   ...     8     v3: f32 residual variance (> 0), f32 OOD threshold (> 0)
 *   ...     4r    v3: f32 inverse variances (> 0)
 *   ...     4rd   v3: f32 basis, row-major [r][d]
 *   ...     4kd   v3: f32 class means, row-major [k][d]
 *   ...     4kr   v3: f32 projected class means, row-major [k][r]
 *   ...     4     u32 CRC-32 (IEEE) of every preceding byte
 *
 * A head with neither a hidden layer nor thresholds is written as version 1, so plain linear heads keep
 * the exact bytes (and content hashes) they had before version 2 existed; a head without OOD statistics is
 * written as version 1 or 2 as before, one with them as version 3. Every older version still decodes.
 *
 * Decoding is strict (canonical JSON, zero padding, exact length, checksum), so every blob that decodes
 * re-encodes to the very same bytes, and a content hash of the blob identifies the head.
 */
import { InvalidModelError } from '../errors.ts';
import type { Head } from './head-types.ts';
import { crc32 } from '../hash.ts';

export { sha256Hex } from '../hash.ts';

/** "EHHD" */
const MAGIC = [0x45, 0x48, 0x48, 0x44];
/** The newest version this build writes and reads (it reads every version from 1 up). */
export const HEAD_FORMAT_VERSION = 3;
const FLAG_THRESHOLDS = 1;
const FLAG_OOD = 2;
const HEADER_BYTES = 32;
const CHECKSUM_BYTES = 4;

/**
 * Serialises a head to the binary format (see the file comment): version 1 for a plain linear head, else 2.
 * Inverse of {@link decodeHead}.
 * @throws InvalidModelError when the head is inconsistent (array lengths, duplicate labels, non-finite values),
 *   so a broken head is never published.
 */
export function encodeHead(head: Head): Uint8Array {
  checkHead(head);
  const d = head.embeddingSize;
  const k = head.labels.length;
  const h = head.hidden?.size ?? 0;
  const flags = (head.thresholds ? FLAG_THRESHOLDS : 0) | (head.ood ? FLAG_OOD : 0);
  const r = head.ood?.rank ?? 0;
  const labelBytes = new TextEncoder().encode(JSON.stringify(head.labels));
  const labelsEnd = HEADER_BYTES + align4(labelBytes.length);
  const total = labelsEnd + 4 * floatCount(d, k, h, flags, r) + CHECKSUM_BYTES;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(4, flags & FLAG_OOD ? 3 : h === 0 && flags === 0 ? 1 : 2, true);
  view.setUint16(6, flags, true);
  view.setUint32(8, d, true);
  view.setUint32(12, k, true);
  view.setUint32(16, labelBytes.length, true);
  view.setUint32(20, h, true);
  view.setFloat64(24, head.temperature, true);
  bytes.set(labelBytes, HEADER_BYTES);
  let offset = labelsEnd;
  const arrays = [head.featureMean, head.featureScale];
  if (head.hidden) arrays.push(head.hidden.weights, head.hidden.bias);
  arrays.push(head.weights, head.bias);
  if (head.thresholds) arrays.push(head.thresholds);
  for (const array of arrays) {
    for (let i = 0; i < array.length; i++, offset += 4) view.setFloat32(offset, array[i], true);
  }
  if (head.ood) {
    const ood = head.ood;
    view.setUint32(offset, ood.rank, true);
    view.setFloat32(offset + 4, ood.residualVariance, true);
    view.setFloat32(offset + 8, ood.threshold, true);
    offset += 12;
    for (const array of [ood.inverseVariance, ood.basis, ood.classMeans, ood.projectedMeans]) {
      for (let i = 0; i < array.length; i++, offset += 4) view.setFloat32(offset, array[i], true);
    }
  }
  view.setUint32(offset, crc32(bytes, 0, offset), true);
  return bytes;
}

/** Number of f32 values after the labels for these dimensions and flags. */
function floatCount(d: number, k: number, h: number, flags: number, r = 0): number {
  const inputs = h > 0 ? h : d;
  const ood = flags & FLAG_OOD ? 3 + r + r * d + k * d + k * r : 0;
  return 2 * d + (h > 0 ? d * h + h : 0) + inputs * k + k + (flags & FLAG_THRESHOLDS ? k : 0) + ood;
}

/** The header's version, flags and hidden size, checked against what each version allows. */
function readVersionAndFlags(view: DataView): { flags: number; h: number } {
  const version = view.getUint16(4, true);
  if (version < 1 || version > HEAD_FORMAT_VERSION) {
    throw new InvalidModelError(`head format version ${version} is not supported; this build reads versions 1 to ${HEAD_FORMAT_VERSION}`);
  }
  const flags = view.getUint16(6, true);
  const h = view.getUint32(20, true);
  if (version === 1 && (flags !== 0 || h !== 0)) {
    throw new InvalidModelError('head blob has non-zero reserved header fields');
  }
  if (version === 2 && ((flags & ~FLAG_THRESHOLDS) !== 0 || (h === 0 && flags === 0))) {
    throw new InvalidModelError('head blob (version 2) has unknown flags, or neither a hidden layer nor thresholds (that is version 1)');
  }
  if (version === 3 && ((flags & ~(FLAG_THRESHOLDS | FLAG_OOD)) !== 0 || !(flags & FLAG_OOD))) {
    throw new InvalidModelError('head blob (version 3) has unknown flags, or no out-of-distribution statistics (that is version 1 or 2)');
  }
  return { flags, h };
}

/**
 * Parses a version-1, -2 or -3 head blob. Inverse of {@link encodeHead}: `encodeHead(decodeHead(b))` equals `b` byte for byte.
 * @param bytes the whole blob, as read from KV/R2/disk
 * @throws InvalidModelError on a wrong magic or unsupported version, truncation or trailing bytes, a checksum
 *   mismatch, malformed or duplicate labels, NaN/infinite values, or a non-positive temperature or feature scale
 */
export function decodeHead(bytes: Uint8Array): Head {
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES) {
    throw new InvalidModelError(`head blob is ${bytes.length} bytes; a valid one is at least ${HEADER_BYTES + CHECKSUM_BYTES}`);
  }
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new InvalidModelError('not a head blob: the magic bytes are not "EHHD"');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { flags, h } = readVersionAndFlags(view);
  const d = view.getUint32(8, true);
  const k = view.getUint32(12, true);
  const labelLength = view.getUint32(16, true);
  const labelsEnd = HEADER_BYTES + align4(labelLength);
  // The OOD rank sits right after the version-2 part; read it (when in bounds) to size the rest.
  const rankAt = labelsEnd + 4 * floatCount(d, k, h, flags & FLAG_THRESHOLDS);
  const r = flags & FLAG_OOD && rankAt + 4 <= bytes.length ? view.getUint32(rankAt, true) : 0;
  if (flags & FLAG_OOD && r === 0) throw new InvalidModelError('head blob out-of-distribution rank is 0 or missing; it is truncated or corrupt');
  // Plain doubles: exact for any u32 inputs, so a corrupt header cannot overflow into a plausible size.
  const expected = labelsEnd + 4 * floatCount(d, k, h, flags, r) + CHECKSUM_BYTES;
  if (bytes.length !== expected) {
    throw new InvalidModelError(
      `head blob is ${bytes.length} bytes but its header (${d} dims, ${k} labels) implies ${expected}; it is truncated or corrupt`,
    );
  }
  const checksumAt = expected - CHECKSUM_BYTES;
  if (view.getUint32(checksumAt, true) !== crc32(bytes, 0, checksumAt)) {
    throw new InvalidModelError('head blob checksum mismatch; it is corrupt');
  }
  for (let i = HEADER_BYTES + labelLength; i < labelsEnd; i++) {
    if (bytes[i] !== 0) throw new InvalidModelError('head blob has non-zero padding after the labels');
  }
  const labels = parseLabels(bytes.subarray(HEADER_BYTES, HEADER_BYTES + labelLength));
  if (labels.length !== k) {
    throw new InvalidModelError(`head blob declares ${k} labels but its label list has ${labels.length}`);
  }
  let offset = labelsEnd;
  const readFloats = (length: number): Float32Array => {
    const array = new Float32Array(length);
    for (let i = 0; i < length; i++, offset += 4) array[i] = view.getFloat32(offset, true);
    return array;
  };
  const featureMean = readFloats(d);
  const featureScale = readFloats(d);
  const hidden = h > 0 ? { size: h, weights: readFloats(d * h), bias: readFloats(h) } : undefined;
  const head: Head = {
    labels,
    embeddingSize: d,
    featureMean,
    featureScale,
    weights: readFloats((h > 0 ? h : d) * k),
    bias: readFloats(k),
    temperature: view.getFloat64(24, true),
  };
  if (hidden) head.hidden = hidden;
  if (flags & FLAG_THRESHOLDS) head.thresholds = readFloats(k);
  if (flags & FLAG_OOD) {
    offset += 4;
    const [residualVariance, threshold] = readFloats(2);
    head.ood = {
      rank: r,
      residualVariance,
      threshold,
      inverseVariance: readFloats(r),
      basis: readFloats(r * d),
      classMeans: readFloats(k * d),
      projectedMeans: readFloats(k * r),
    };
  }
  checkHead(head);
  return head;
}

function parseLabels(labelBytes: Uint8Array): string[] {
  let text: string;
  let labels: unknown;
  try {
    // ignoreBOM keeps a leading BOM in the text, where JSON.parse rejects it, so decode -> encode stays exact.
    const strict = { fatal: true, ignoreBOM: true };
    text = new TextDecoder('utf-8', strict).decode(labelBytes);
    labels = JSON.parse(text);
  } catch {
    throw new InvalidModelError('head blob labels are not valid UTF-8 JSON');
  }
  if (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')) {
    throw new InvalidModelError('head blob labels must be a JSON array of strings');
  }
  // Only the canonical spelling is accepted, so decode -> encode reproduces the blob exactly.
  if (JSON.stringify(labels) !== text) {
    throw new InvalidModelError('head blob labels are not in canonical JSON form');
  }
  return labels as string[];
}

/** The invariants both directions enforce. */
function checkHead(head: Head): void {
  const d = head.embeddingSize;
  const k = head.labels.length;
  if (!Number.isInteger(d) || d < 1 || d > 0xffffffff) {
    throw new InvalidModelError(`head embeddingSize must be a positive integer, got ${d}`);
  }
  if (k < 2) throw new InvalidModelError(`a head needs at least 2 labels, got ${k}`);
  const seen = new Set<string>();
  for (const label of head.labels) {
    if (typeof label !== 'string' || label.length === 0) throw new InvalidModelError('head labels must be non-empty strings');
    if (seen.has(label)) throw new InvalidModelError(`head label "${label}" appears twice`);
    seen.add(label);
  }
  const h = head.hidden?.size ?? 0;
  if (head.hidden && !(Number.isInteger(h) && h >= 1 && h <= 0xffffffff)) {
    throw new InvalidModelError(`head hidden.size must be a positive integer, got ${h}`);
  }
  const lengths: [string, Float32Array, number][] = [
    ['featureMean', head.featureMean, d],
    ['featureScale', head.featureScale, d],
    ['weights', head.weights, (h > 0 ? h : d) * k],
    ['bias', head.bias, k],
  ];
  if (head.hidden) lengths.push(['hidden.weights', head.hidden.weights, d * h], ['hidden.bias', head.hidden.bias, h]);
  if (head.thresholds) lengths.push(['thresholds', head.thresholds, k]);
  const ood = head.ood;
  if (ood) {
    const r = ood.rank;
    if (!(Number.isInteger(r) && r >= 1 && r <= d)) throw new InvalidModelError(`head ood.rank must be an integer in [1, ${d}], got ${r}`);
    if (!(ood.residualVariance > 0 && Number.isFinite(ood.residualVariance)) || !(ood.threshold > 0 && Number.isFinite(ood.threshold))) {
      throw new InvalidModelError('head ood.residualVariance and ood.threshold must be finite and > 0');
    }
    if (ood.inverseVariance?.some((v) => !(v > 0))) throw new InvalidModelError('head ood.inverseVariance values must be > 0');
    lengths.push(
      ['ood.inverseVariance', ood.inverseVariance, r],
      ['ood.basis', ood.basis, r * d],
      ['ood.classMeans', ood.classMeans, k * d],
      ['ood.projectedMeans', ood.projectedMeans, k * r],
    );
  }
  for (const [name, array, length] of lengths) {
    if (!(array instanceof Float32Array) || array.length !== length) {
      throw new InvalidModelError(`head ${name} must be a Float32Array of length ${length}, got ${array?.length}`);
    }
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i])) throw new InvalidModelError(`head ${name}[${i}] is ${array[i]}; every value must be finite`);
    }
  }
  for (let j = 0; j < d; j++) {
    if (!(head.featureScale[j] > 0)) throw new InvalidModelError(`head featureScale[${j}] is ${head.featureScale[j]}; scales must be > 0`);
  }
  if (head.thresholds?.some((t) => !(t >= 0 && t <= 1))) {
    throw new InvalidModelError('head thresholds must each be in [0, 1]');
  }
  if (!Number.isFinite(head.temperature) || head.temperature <= 0) {
    throw new InvalidModelError(`head temperature is ${head.temperature}; it must be finite and > 0`);
  }
}

/** Rounds up to a multiple of 4 in double arithmetic (bit operations would wrap at 2^31). */
function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
