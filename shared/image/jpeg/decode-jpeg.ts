import { DEFAULT_JPEG_LIMITS, type JpegLimits } from '../../config.ts';
import { UndecodableImageError, UnsupportedMediaError } from '../../errors.ts';
import { ACCEPTED_TYPES } from '../image-types.ts';
import { unsupportedJpegProcess } from '../probe-image.ts';
import { BitReader, huffmanTableFor, type HuffmanTable } from './huffman.ts';
import { idctBlock, prepareQuantTable, type IdctSize } from './idct.ts';
import { convertToRgb, type ColourTransform, type PlaneSet } from './colour-convert.ts';
import { readFrame, type Component, type Frame, type JpegScale } from './jpeg-frame.ts';
import { chargeBlockVisits, emptyJpegStats, skipEntropyData, type JpegDecodeStats } from './scan-budget.ts';
import type { ImageRuntime } from '../image-runtime.ts';
import { decodeSequentialScan, ZIGZAG } from './sequential-scan.ts';

export type { JpegScale } from './jpeg-frame.ts';
export { emptyJpegStats, type JpegDecodeStats } from './scan-budget.ts';

/**
 * Decodes a baseline or progressive Huffman-coded 8-bit JPEG to interleaved RGB at `scale`/8 size,
 * scaling in the DCT domain. Pixel dimensions are ceil(width * scale / 8) x ceil(height * scale / 8) of
 * the stored (un-rotated) image; EXIF orientation is not applied here.
 * Memory: sequential images are transformed block by block into component planes at output size;
 * progressive images keep one Int16 coefficient buffer (2 bytes per stored sample; 2 per block at 1/8) until the last scan.
 * Throws UnsupportedMediaError for arithmetic coding, lossless, hierarchical or 12-bit JPEGs;
 * UndecodableImageError for truncated or corrupt data.
 */
export function decodeJpeg(bytes: Uint8Array, scale: JpegScale, options: JpegDecodeOptions = {}): { data: Uint8Array; width: number; height: number } {
  const { planes, width, height, transform } = decodeJpegPlanes(bytes, scale, options);
  return { data: convertToRgb(planes, width, height, transform), width, height };
}

/** Options of {@link decodeJpegPlanes}. */
export interface JpegDecodeOptions {
  compactChroma?: boolean;
  reuse?: Uint8ClampedArray[];
  /** Defaults to DEFAULT_JPEG_LIMITS. */
  limits?: JpegLimits;
  /** Filled in (counts added) as the decode goes, also when it throws. */
  stats?: JpegDecodeStats;
  /** The wasm scan kernel and scratch buffer (image-runtime.ts); the JavaScript path without it. */
  runtime?: ImageRuntime;
}


/** A JPEG decoded to its component planes, before upsampling and colour conversion. */
export interface JpegPlanes {
  /** Pixel size at the decoded scale: ceil(stored width * scale / 8) x ceil(stored height * scale / 8). */
  width: number;
  height: number;
  /** One plane per component; `upH` x `upV` pixels share each sample. */
  planes: PlaneSet;
  transform: ColourTransform;
}

/**
 * Decodes a JPEG as {@link decodeJpeg} does, but stops before upsampling and colour conversion.
 * With `compactChroma`, subsampled components are transformed at their own resolution (each sample then
 * covers `upH` x `upV` output pixels) instead of with a larger IDCT at the luma resolution: a quarter of
 * the chroma work for 4:2:0, for callers that average the planes down anyway.
 * With `reuse`, planes come from (and are kept in) that array, one per component: they are then only
 * valid until the next decode with the same array. Fresh memory is slow to touch the first time here
 * (page faults, ~3 ms per MB), so a caller that uses the planes at once saves that on every call.
 * Work is bounded by `options.limits`: more than `maxScans` scans throws UndecodableImageError with code
 * `too_many_scans`; decoded scans visiting more than `maxBlockVisitsPerBlock` blocks per frame block throw
 * code `decode_budget_exceeded`, before the scan that would pass the budget is decoded. Progressive AC scans
 * are skipped unread for components decoded with a 1x1 IDCT (scale 1/8), which keep only their DC.
 * Throws as {@link decodeJpeg}.
 */
export function decodeJpegPlanes(bytes: Uint8Array, scale: JpegScale, options: JpegDecodeOptions = {}): JpegPlanes {
  const limits = options.limits ?? DEFAULT_JPEG_LIMITS;
  const stats = options.stats ?? emptyJpegStats();
  const quant: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let adobeTransform = -1;
  let jfif = false;
  const n = bytes.length;
  let pos = 2;

  const u16 = (p: number): number => {
    if (p + 2 > n) throw new UndecodableImageError('truncated JPEG: a header segment runs past the end of the data');
    return (bytes[p] << 8) | bytes[p + 1];
  };

  for (;;) {
    if (pos >= n) break;
    if (bytes[pos] !== 0xff) {
      // Some encoders leave junk between segments; find the next marker (bounded by the data length).
      while (pos < n && bytes[pos] !== 0xff) pos++;
      continue;
    }
    while (pos < n && bytes[pos] === 0xff) pos++;
    if (pos >= n) break;
    const marker = bytes[pos++];
    if (marker === 0xd9) break;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0x00) continue;
    const length = u16(pos);
    const end = pos + length;
    if (length < 2 || end > n) throw new UndecodableImageError('truncated JPEG: a header segment runs past the end of the data');
    const seg = pos + 2;
    switch (marker) {
      case 0xdb: // DQT
        readQuantTables(bytes, seg, end, quant);
        break;
      case 0xc4: // DHT
        readHuffmanTables(bytes, seg, end, dcTables, acTables);
        break;
      case 0xdd: // DRI
        restartInterval = u16(seg);
        break;
      case 0xe0:
        if (length >= 7 && bytes[seg] === 0x4a && bytes[seg + 1] === 0x46 && bytes[seg + 2] === 0x49 && bytes[seg + 3] === 0x46) jfif = true;
        break;
      case 0xee: // APP14 "Adobe": the last byte says which colour transform the encoder applied.
        if (length >= 14 && bytes[seg] === 0x41 && bytes[seg + 1] === 0x64 && bytes[seg + 2] === 0x6f && bytes[seg + 3] === 0x62 && bytes[seg + 4] === 0x65) {
          adobeTransform = bytes[seg + 11];
        }
        break;
      case 0xc0: case 0xc1: case 0xc2: {
        if (frame) throw new UnsupportedMediaError(`JPEG with more than one frame is not supported; ${ACCEPTED_TYPES}`);
        frame = readFrame(bytes, seg, end, marker === 0xc2, scale, options.compactChroma === true, limits, options.reuse);
        for (const c of frame.components) stats.coefficientBytes += c.coefs ? c.coefs.byteLength : 0;
        break;
      }
      case 0xda: { // SOS
        if (!frame) throw new UndecodableImageError('corrupt JPEG: image data before the frame header');
        if (++stats.scans > limits.maxScans) {
          throw new UndecodableImageError(`JPEG has more than ${limits.maxScans} scans; at most ${limits.maxScans} are accepted`, 'too_many_scans');
        }
        const { components, ss, se, ah, al } = readScanHeader(bytes, seg, end, frame, dcTables, acTables);
        pos = decodeScan(bytes, end, frame, components, restartInterval, ss, se, ah, al, quant, limits, stats, options.runtime);
        continue;
      }
      default:
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc8 && marker !== 0xcc) {
          throw new UnsupportedMediaError(`${unsupportedJpegProcess(marker)} is not supported; ${ACCEPTED_TYPES}`);
        }
        if (marker === 0xdc) throw new UnsupportedMediaError(`JPEG with a DNL marker is not supported; ${ACCEPTED_TYPES}`);
    }
    pos = end;
  }

  if (!frame) throw new UndecodableImageError('truncated or corrupt JPEG: no frame header');
  return finishPlanes(frame, quant, scale, colourTransform(frame.components, adobeTransform, jfif));
}

/** After the last scan: transforms what progressive scans left as coefficients, and hands out the planes. */
function finishPlanes(frame: Frame, quant: (Uint16Array | undefined)[], scale: JpegScale, transform: ColourTransform): JpegPlanes {
  for (const c of frame.components) {
    if (!c.seen) throw new UndecodableImageError('truncated JPEG: a colour component has no image data');
    if (c.coefs) {
      transformAllBlocks(c, quant);
      c.coefs = null;
    }
  }
  const width = Math.ceil((frame.width * scale) / 8);
  const height = Math.ceil((frame.height * scale) / 8);
  const planes: PlaneSet = frame.components.map((c) => ({ data: c.plane, stride: c.planeStride, upH: c.upH, upV: c.upV }));
  return { planes, width, height, transform };
}

/** A DQT segment: one or more 8- or 16-bit quantisation tables, stored in natural (not zigzag) order. */
function readQuantTables(bytes: Uint8Array, seg: number, end: number, quant: (Uint16Array | undefined)[]): void {
  let p = seg;
  while (p < end) {
    const pq = bytes[p] >> 4, tq = bytes[p] & 15;
    p++;
    if (tq > 3 || p + 64 * (pq + 1) > end) throw new UndecodableImageError('corrupt JPEG: bad quantisation table');
    const table = new Uint16Array(64);
    for (let k = 0; k < 64; k++) {
      table[ZIGZAG[k]] = pq ? (bytes[p] << 8) | bytes[p + 1] : bytes[p];
      p += pq + 1;
    }
    quant[tq] = table;
  }
}

/** A DHT segment: one or more DC or AC Huffman tables. */
function readHuffmanTables(
  bytes: Uint8Array, seg: number, end: number, dcTables: (HuffmanTable | undefined)[], acTables: (HuffmanTable | undefined)[],
): void {
  let p = seg;
  while (p < end) {
    const tc = bytes[p] >> 4, th = bytes[p] & 15;
    if (p + 17 > end || th > 3 || tc > 1) throw new UndecodableImageError('corrupt JPEG: bad Huffman table');
    const counts = bytes.subarray(p + 1, p + 17);
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i];
    p += 17;
    if (p + total > end || total > 256) throw new UndecodableImageError('corrupt JPEG: bad Huffman table');
    const table = huffmanTableFor(counts, bytes.subarray(p, p + total));
    p += total;
    (tc === 0 ? dcTables : acTables)[th] = table;
  }
}

/**
 * An SOS header: the components it names (each given the DC and AC tables it selects), the spectral band
 * `ss`..`se` and the successive-approximation bits `ah`, `al`.
 */
function readScanHeader(
  bytes: Uint8Array, seg: number, end: number, frame: Frame,
  dcTables: (HuffmanTable | undefined)[], acTables: (HuffmanTable | undefined)[],
): { components: Component[]; ss: number; se: number; ah: number; al: number } {
  const ns = bytes[seg];
  if (ns < 1 || ns > 4 || seg + 1 + ns * 2 + 3 > end) throw new UndecodableImageError('corrupt JPEG: bad scan header');
  const scanComponents: Component[] = [];
  for (let i = 0; i < ns; i++) {
    const id = bytes[seg + 1 + i * 2];
    const tables = bytes[seg + 2 + i * 2];
    const c = frame.components.find((x) => x.id === id);
    if (!c) throw new UndecodableImageError(`corrupt JPEG: scan refers to unknown component ${id}`);
    c.dcTable = dcTables[tables >> 4] ?? null;
    c.acTable = acTables[tables & 15] ?? null;
    scanComponents.push(c);
  }
  const p = seg + 1 + ns * 2;
  return { components: scanComponents, ss: bytes[p], se: bytes[p + 1], ah: bytes[p + 2] >> 4, al: bytes[p + 2] & 15 };
}


function colourTransform(components: Component[], adobe: number, jfif: boolean): ColourTransform {
  if (components.length === 1) return 'grey';
  if (components.length === 3) {
    if (adobe === 0) return 'rgb';
    if (adobe < 0 && !jfif && components[0].id === 0x52 && components[1].id === 0x47 && components[2].id === 0x42) return 'rgb';
    return 'ycbcr';
  }
  if (adobe === 2) return 'ycck';
  // Photoshop, and every encoder that writes the Adobe marker, stores CMYK inverted (255 = no ink).
  return adobe >= 0 ? 'cmyk-inverted' : 'cmyk';
}

const preparedCache = new WeakMap<Uint16Array, Float32Array[]>();

function prepared(quant: (Uint16Array | undefined)[], index: number, size: IdctSize): Float32Array {
  const table = quant[index];
  if (!table) throw new UndecodableImageError(`corrupt JPEG: quantisation table ${index} is missing`);
  let bySize = preparedCache.get(table);
  if (!bySize) preparedCache.set(table, (bySize = []));
  return (bySize[size] ??= prepareQuantTable(table, size));
}

function transformAllBlocks(c: Component, quant: (Uint16Array | undefined)[]): void {
  const q = prepared(quant, c.quantIndex, c.idctSize);
  const coefs = c.coefs!;
  const size = c.idctSize;
  for (let row = 0; row < c.blocksPerColumnAlloc; row++) {
    for (let col = 0; col < c.blocksPerLineAlloc; col++) {
      idctBlock(coefs, (row * c.blocksPerLineAlloc + col) * c.coefStride, q, c.plane, row * size * c.planeStride + col * size, c.planeStride, size);
    }
  }
}

/** Decodes one scan; returns the position of the marker after its entropy-coded data. */
function decodeScan(
  bytes: Uint8Array, start: number, frame: Frame, comps: Component[], restartInterval: number,
  ss: number, se: number, ah: number, al: number, quant: (Uint16Array | undefined)[], limits: JpegLimits, stats: JpegDecodeStats,
  runtime: ImageRuntime | undefined,
): number {
  const progressive = frame.progressive;
  if (progressive) {
    const badDc = ss === 0 && se !== 0;
    const badAc = ss !== 0 && (se < ss || se > 63 || comps.length !== 1);
    if (badDc || badAc || al > 13 || (ah !== 0 && ah !== al + 1)) throw new UndecodableImageError('corrupt JPEG: bad progressive scan parameters');
    // Only at 1x1 can a band be skipped safely: at 2x2..4x4 a later refinement scan over 1..63 (libjpeg's script)
    // reads the history of the coefficients a skipped band would have set, so every band is decoded there.
    if (comps[0].lastNeededZigzag === 0 && ss > 0) {
      // Nothing in this band is ever read: jump over its data (restart markers included) to the next marker.
      comps[0].seen = true;
      stats.scansSkipped++;
      return skipEntropyData(bytes, start);
    }
    chargeBlockVisits(frame, comps, limits, stats);
  }
  stats.scansDecoded++;
  for (const c of comps) {
    c.seen = true;
    c.dcPred = 0;
    const needsDc = !progressive || (ss === 0 && ah === 0);
    const needsAc = !progressive || ss > 0;
    if ((needsDc && !c.dcTable) || (needsAc && !c.acTable)) {
      throw new UndecodableImageError('corrupt JPEG: scan uses a Huffman table that was not defined');
    }
  }
  if (!progressive) {
    for (const c of comps) c.scanQuant = prepared(quant, c.quantIndex, c.idctSize);
    return decodeSequentialScan(bytes, start, comps, frame.mcusPerLine, frame.mcusPerColumn, restartInterval, runtime);
  }
  return decodeProgressiveScan(bytes, start, frame, comps, restartInterval, ss, se, ah, al);
}

/** Decodes one block of a progressive scan into `coefs` at `off` (the block's first coefficient). */
type BlockDecoder = (c: Component, coefs: Int16Array, off: number) => void;

/** A progressive scan's entropy-coded data, block by block in scan order, into the components' coefficients. */
function decodeProgressiveScan(
  bytes: Uint8Array, start: number, frame: Frame, comps: Component[], restartInterval: number,
  ss: number, se: number, ah: number, al: number,
): number {
  const reader = new BitReader(bytes, start);
  const ac = ss === 0 ? null : acBlockDecoder(reader, ss, se, ah, al);
  const decodeBlock = ac ? ac.decodeBlock : dcBlockDecoder(reader, ah, al);
  const visit = (c: Component, row: number, col: number): void => {
    decodeBlock(c, c.coefs!, (row * c.blocksPerLineAlloc + col) * c.coefStride);
  };

  let mcu = 0;
  const restart = (): void => {
    if (restartInterval > 0 && mcu > 0 && mcu % restartInterval === 0) {
      reader.restart();
      ac?.resetEobrun();
      for (const c of comps) c.dcPred = 0;
    }
  };
  if (comps.length === 1) {
    const c = comps[0];
    for (let row = 0; row < c.blocksPerColumn; row++) {
      for (let col = 0; col < c.blocksPerLine; col++, mcu++) {
        restart();
        visit(c, row, col);
      }
    }
  } else {
    for (let mrow = 0; mrow < frame.mcusPerColumn; mrow++) {
      for (let mcol = 0; mcol < frame.mcusPerLine; mcol++, mcu++) {
        restart();
        for (const c of comps) {
          for (let v = 0; v < c.v; v++) {
            for (let h = 0; h < c.h; h++) visit(c, mrow * c.v + v, mcol * c.h + h);
          }
        }
      }
    }
  }
  return reader.endOfScan();
}

/** The block decoder of a DC scan: first (`ah` 0) or refinement. */
function dcBlockDecoder(reader: BitReader, ah: number, al: number): BlockDecoder {
  return ah === 0
    ? (c, coefs, off) => {
      const t = reader.decode(c.dcTable!);
      c.dcPred += reader.receiveExtend(t);
      coefs[off] = c.dcPred * (1 << al);
    }
    : (_c, coefs, off) => {
      if (reader.bit()) coefs[off] |= 1 << al;
    };
}

/**
 * The block decoder of an AC scan over band `ss`..`se`: first (`ah` 0) or refinement. Both share the end-of-band
 * run, which a restart marker resets.
 */
function acBlockDecoder(reader: BitReader, ss: number, se: number, ah: number, al: number): { decodeBlock: BlockDecoder; resetEobrun: () => void } {
  let eobrun = 0;
  const first = (c: Component, coefs: Int16Array, off: number): void => {
    if (eobrun > 0) {
      eobrun--;
      return;
    }
    const ac = c.acTable!;
    for (let k = ss; k <= se;) {
      const rs = reader.decode(ac);
      const s = rs & 15, r = rs >> 4;
      if (s === 0) {
        if (r < 15) {
          eobrun = (1 << r) - 1 + reader.bits(r);
          break;
        }
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new UndecodableImageError('corrupt JPEG: coefficient index past the end of a block');
      coefs[off + ZIGZAG[k]] = reader.receiveExtend(s) * (1 << al);
      k++;
    }
  };
  const p1 = 1 << al, m1 = -1 << al;
  const refine = (c: Component, coefs: Int16Array, off: number): void => {
    let k = ss;
    if (eobrun <= 0) {
      const ac = c.acTable!;
      for (; k <= se; k++) {
        const rs = reader.decode(ac);
        let r = rs >> 4;
        const s = rs & 15;
        let value = 0;
        if (s !== 0) {
          value = reader.bit() ? p1 : m1;
        } else if (r !== 15) {
          eobrun = (1 << r) + reader.bits(r);
          break;
        }
        // Skip r zero-history coefficients, refining the non-zero ones passed on the way.
        while (k <= se) {
          const z = off + ZIGZAG[k];
          const cur = coefs[z];
          if (cur !== 0) {
            if (reader.bit() && (cur & p1) === 0) coefs[z] = cur >= 0 ? cur + p1 : cur + m1;
          } else {
            if (r === 0) break;
            r--;
          }
          k++;
        }
        if (value !== 0 && k <= se) coefs[off + ZIGZAG[k]] = value;
      }
    }
    if (eobrun > 0) {
      for (; k <= se; k++) {
        const z = off + ZIGZAG[k];
        const cur = coefs[z];
        if (cur !== 0 && reader.bit() && (cur & p1) === 0) coefs[z] = cur >= 0 ? cur + p1 : cur + m1;
      }
      eobrun--;
    }
  };
  return { decodeBlock: ah === 0 ? first : refine, resetEobrun: () => { eobrun = 0; } };
}

