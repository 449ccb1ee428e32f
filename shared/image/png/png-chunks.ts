import { UndecodableImageError } from '../../errors.ts';
import { crc32 } from '../../hash.ts';

/** The fields of a PNG's IHDR, validated against the specification's table of colour types and depths. */
export interface PngHeader {
  width: number;
  height: number;
  /** bits per sample: 1, 2, 4, 8 or 16 */
  depth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA */
  colourType: number;
  /** samples per pixel (palette counts as 1) */
  channels: number;
  interlaced: boolean;
}

/** One chunk: its four-letter type and where its data lies in the file (CRC already checked). */
export interface PngChunk {
  type: string;
  start: number;
  end: number;
}

export function readU32(bytes: Uint8Array, p: number): number {
  return ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Walks the chunks of a PNG after its signature, checking each one's CRC, without looking inside any.
 * Cost: one pass over the bytes. A CRC mismatch is refused in every chunk, critical or ancillary: a file
 * damaged in transit is more likely than a deliberate edit of a chunk we skip, and the caller can resend.
 * @throws UndecodableImageError for a missing signature, a chunk running past the end, a bad type or CRC
 */
export function* readPngChunks(bytes: Uint8Array): Generator<PngChunk> {
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== SIGNATURE[i]) throw new UndecodableImageError('corrupt PNG: bad signature');
  }
  let pos = 8;
  while (pos < bytes.length) {
    if (pos + 12 > bytes.length) throw new UndecodableImageError(`truncated PNG: chunk header cut at byte ${pos}`);
    const length = readU32(bytes, pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new UndecodableImageError(`corrupt PNG: invalid chunk type at byte ${pos + 4}`);
    const start = pos + 8;
    const end = start + length;
    if (length > 0x7fffffff || end + 4 > bytes.length) {
      throw new UndecodableImageError(`truncated PNG: chunk ${type} declares ${length} bytes, the file ends before`);
    }
    if (crc32(bytes, pos + 4, end) !== readU32(bytes, end)) {
      throw new UndecodableImageError(`corrupt PNG: CRC mismatch in chunk ${type} at byte ${pos}`);
    }
    yield { type, start, end };
    pos = end + 4;
  }
}

const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Parses and validates IHDR's 13 bytes.
 * @throws UndecodableImageError for a wrong length, a zero or oversized side, an invalid colour type/depth
 * pair, or unknown compression, filter or interlace methods
 */
export function parseIhdr(bytes: Uint8Array, chunk: PngChunk): PngHeader {
  if (chunk.type !== 'IHDR') throw new UndecodableImageError(`corrupt PNG: the first chunk is ${chunk.type}, not IHDR`);
  if (chunk.end - chunk.start !== 13) throw new UndecodableImageError(`corrupt PNG: IHDR is ${chunk.end - chunk.start} bytes, not 13`);
  const p = chunk.start;
  const width = readU32(bytes, p);
  const height = readU32(bytes, p + 4);
  const depth = bytes[p + 8];
  const colourType = bytes[p + 9];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new UndecodableImageError(`PNG header gives a size of ${width}x${height}; both sides must be 1 to 2^31-1`);
  }
  const depths = ALLOWED_DEPTHS[colourType];
  if (!depths) throw new UndecodableImageError(`corrupt PNG: colour type ${colourType} (0, 2, 3, 4 and 6 exist)`);
  if (!depths.includes(depth)) {
    throw new UndecodableImageError(`corrupt PNG: bit depth ${depth} with colour type ${colourType} (allowed: ${depths.join(', ')})`);
  }
  if (bytes[p + 10] !== 0) throw new UndecodableImageError(`corrupt PNG: compression method ${bytes[p + 10]} (only 0 exists)`);
  if (bytes[p + 11] !== 0) throw new UndecodableImageError(`corrupt PNG: filter method ${bytes[p + 11]} (only 0 exists)`);
  if (bytes[p + 12] > 1) throw new UndecodableImageError(`corrupt PNG: interlace method ${bytes[p + 12]} (0 or 1 exist)`);
  return { width, height, depth, colourType, channels: CHANNELS[colourType], interlaced: bytes[p + 12] === 1 };
}
