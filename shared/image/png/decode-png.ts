import { UndecodableImageError } from '../../errors.ts';
import { parseIhdr, readPngChunks, type PngChunk, type PngHeader } from './png-chunks.ts';
import { IdatStream, type PngDecodeStats } from './png-idat-stream.ts';
import type { PngColours } from './png-rows.ts';
import { BoxTarget, choosePngFactor, pngPasses } from './png-target.ts';

export type { PngDecodeStats } from './png-idat-stream.ts';
export { choosePngFactor } from './png-target.ts';

export interface PngDecodeOptions {
  /** shrink by the largest integer box factor that keeps the shorter side >= minSide (see choosePngFactor) */
  minSide?: number;
  /** filled with the counted work of the decode */
  stats?: PngDecodeStats;
}

/**
 * Decodes a PNG (every colour type and bit depth the specification allows, Adam7 or not, tRNS of every
 * kind) to interleaved 8-bit RGB, alpha composited over white, 16-bit samples rounded to 8 bits.
 * Streams: the image data is inflated a slice at a time and each row is unfiltered and averaged straight
 * into the output, reduced by `choosePngFactor(width, height, minSide)`; memory is the output plus two
 * rows. Ancillary chunks (iCCP, zTXt, iTXt, text, gamma, suggested palettes...) are CRC-checked and skipped,
 * never inflated. Inflating stops as soon as the data exceeds what the header's rows need.
 * Returns `width * height * 3` bytes at the reduced size.
 * @throws UndecodableImageError (422) for a bad CRC, chunk order or header, corrupt or truncated image data,
 * data longer than the header declares, a bad filter type or palette index
 */
export function decodePng(bytes: Uint8Array, options: PngDecodeOptions = {}): { data: Uint8Array; width: number; height: number } {
  const stats = options.stats ?? { inflatedBytes: 0, compressedBytesInflated: 0, expectedBytes: 0, rows: 0, pixels: 0, allocatedBytes: 0 };
  const chunks = readPngChunks(bytes);
  const first = chunks.next();
  if (first.done) throw new UndecodableImageError('truncated PNG: no IHDR header');
  const header = parseIhdr(bytes, first.value);
  const colours: PngColours = { palette: null, paletteSize: 0, key: null };
  const passes = pngPasses(header);
  const target = new BoxTarget(header.width, header.height, choosePngFactor(header.width, header.height, options.minSide));
  stats.allocatedBytes += target.allocatedBytes;
  let stream: IdatStream | null = null;
  let idatEnded = false;
  let ended = false;
  for (const chunk of chunks) {
    const { type } = chunk;
    if (type === 'IDAT') {
      if (idatEnded) throw new UndecodableImageError('corrupt PNG: IDAT chunks are not consecutive');
      if (!stream) {
        if (header.colourType === 3 && !colours.palette) throw new UndecodableImageError('corrupt PNG: palette image (colour type 3) without a PLTE chunk');
        stream = new IdatStream(header, colours, passes, target, stats);
      }
      stream.push(bytes.subarray(chunk.start, chunk.end));
      continue;
    }
    if (stream && !idatEnded) {
      idatEnded = true;
      stream.finish();
    }
    if (type === 'IEND') {
      ended = true;
      break;
    }
    readOtherChunk(bytes, chunk, header, colours, stream !== null);
  }
  if (!stream) throw new UndecodableImageError('truncated PNG: no image data (IDAT)');
  if (!ended) {
    if (!idatEnded) stream.finish();
    throw new UndecodableImageError('truncated PNG: the file ends without an IEND chunk');
  }
  return { data: target.finish(), width: target.width, height: target.height };
}

function readOtherChunk(bytes: Uint8Array, chunk: PngChunk, header: PngHeader, colours: PngColours, afterData: boolean): void {
  const { type } = chunk;
  if (type === 'IHDR') throw new UndecodableImageError('corrupt PNG: a second IHDR chunk');
  if (type === 'PLTE') {
    if (afterData) throw new UndecodableImageError('corrupt PNG: PLTE after the image data');
    readPalette(bytes, chunk, header, colours);
    return;
  }
  if (type === 'tRNS') {
    if (afterData) throw new UndecodableImageError('corrupt PNG: tRNS after the image data');
    readTransparency(bytes, chunk, header, colours);
    return;
  }
  // Bit 5 of the first letter clear = critical: a chunk we do not know and may not skip.
  if ((chunk.type.charCodeAt(0) & 0x20) === 0) throw new UndecodableImageError(`corrupt PNG: unknown critical chunk ${type}`);
}

function readPalette(bytes: Uint8Array, chunk: PngChunk, header: PngHeader, colours: PngColours): void {
  const length = chunk.end - chunk.start;
  if (colours.palette) throw new UndecodableImageError('corrupt PNG: a second PLTE chunk');
  if (header.colourType === 0 || header.colourType === 4) throw new UndecodableImageError('corrupt PNG: PLTE in a greyscale image');
  if (length === 0 || length % 3 !== 0 || length > 768) {
    throw new UndecodableImageError(`corrupt PNG: PLTE of ${length} bytes (3 to 768, a multiple of 3)`);
  }
  // In truecolour images PLTE is only a suggested palette for limited displays: checked, then unused.
  if (header.colourType !== 3) return;
  const palette = new Uint8Array(256 * 4).fill(255);
  for (let i = 0; i < length / 3; i++) palette.set(bytes.subarray(chunk.start + i * 3, chunk.start + i * 3 + 3), i * 4);
  colours.palette = palette;
  colours.paletteSize = length / 3;
}

function readTransparency(bytes: Uint8Array, chunk: PngChunk, header: PngHeader, colours: PngColours): void {
  const length = chunk.end - chunk.start;
  const p = chunk.start;
  if (header.colourType === 3) {
    if (!colours.palette) throw new UndecodableImageError('corrupt PNG: tRNS before PLTE');
    if (length > colours.paletteSize) throw new UndecodableImageError(`corrupt PNG: tRNS has ${length} entries for a palette of ${colours.paletteSize}`);
    for (let i = 0; i < length; i++) colours.palette[i * 4 + 3] = bytes[p + i];
  } else if (header.colourType === 0 || header.colourType === 2) {
    const want = header.colourType === 0 ? 2 : 6;
    if (length !== want) throw new UndecodableImageError(`corrupt PNG: tRNS of ${length} bytes for colour type ${header.colourType} (${want} expected)`);
    colours.key = [];
    for (let i = 0; i < length; i += 2) colours.key.push((bytes[p + i] << 8) | bytes[p + i + 1]);
  }
  // Colour types 4 and 6 carry a full alpha channel; a stray tRNS there is ignored, as libpng does.
}
