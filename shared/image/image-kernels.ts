/**
 * The WebAssembly kernels of the image path (shared/image/kernels/image-kernels.wasm, built from
 * kernels/*.as.ts (entry image-kernels.as.ts); one module, one memory):
 * - the area resize and colour conversion behind {@link planesToModelInput}, in float32 with 128-bit SIMD:
 *   about 3x the JavaScript path, the same input to within 1e-6 (float32 rounding);
 * - the decoding of sequential JPEG scans: the same Huffman reads as the JavaScript decoder and bit for bit
 *   its inverse DCTs (sizes 1, 2, 3, 4 and 8; other sizes, and scans too big for the memory cap, stay in
 *   JavaScript): a 1 MP decode takes ~2.7 instead of ~3.4 ms in workerd.
 * workerd cannot compile WebAssembly from bytes, so the runtime adapters hand over a compiled module (the
 * worker's wasm import, or Node reading the file) and keep the instance in their image runtime
 * (image-runtime.ts); without one the JavaScript paths run. The worker and the CLI both build it, so training
 * and serving see identical inputs.
 */

import { TABLE_AC_FAST, TABLE_AC_PAIR, TABLE_BYTES, TABLE_LOOKUP, TABLE_MAX_CODE, TABLE_VALUE_OFFSET, TABLE_VALUES } from './jpeg/huffman-layout.ts';

/** One plane as the kernel reads it: samples, the row and column weights of its resize. */
export interface KernelPlane {
  data: Uint8ClampedArray;
  stride: number;
  /** First column any output reads, and how many columns are read from there. */
  x0: number;
  span: number;
  /** Per output row: first source row, number of rows, and `rowTaps` weights each (zero padded). */
  rowStart: Int32Array;
  rowCount: Int32Array;
  rowWeights: Float32Array;
  rowTaps: number;
  /** Per output column: first source column relative to x0, and `columnTaps` weights each (zero padded). */
  columnStart: Int32Array;
  columnWeights: Float32Array;
  columnTaps: number;
}

/** What {@link ImageKernels.run} fills: `rows` x `columns` RGB pixels, where pixel (b, a) starts at out[b * stepRow + a * stepColumn]. */
export interface KernelTarget {
  columns: number;
  rows: number;
  stepColumn: number;
  stepRow: number;
  /** JFIF YCbCr planes (else one grey plane, or R, G, B). */
  ycc: boolean;
  scale: number;
  zero: number;
}

/** One component of a sequential scan, as the scan kernel needs it. */
export interface KernelScanComponent {
  idctSize: number;
  /** The prepared dequantiser (prepareQuantTable) for `idctSize`. */
  quant: Float32Array;
  /** Its plane, written completely on success; `planeStride` bytes per row. */
  plane: Uint8ClampedArray;
  planeStride: number;
  /** Pixel rows one MCU row makes of this component. */
  rowsPerMcuRow: number;
  /** Blocks of this component across one MCU. */
  blocksAcross: number;
}

/** A Huffman table as shared/image/jpeg/huffman.ts builds it. */
export interface KernelHuffmanTable {
  lookup: Uint16Array;
  acFast: Int32Array;
  acPair: Int32Array;
  maxCode: Int32Array;
  valueOffset: Int32Array;
  values: Uint8Array;
}

/** One sequential scan for {@link ImageKernels.decodeScan}. */
export interface KernelScan {
  /** The entropy-coded data without byte stuffing. */
  data: Uint8Array;
  /** Byte ranges of the restart intervals in `data`. */
  starts: number[];
  ends: number[];
  components: KernelScanComponent[];
  /** The blocks of one MCU in coding order. */
  slots: { component: number; dy: number; dx: number; dc: KernelHuffmanTable; ac: KernelHuffmanTable }[];
  mcusPerRow: number;
  total: number;
  /** MCUs per restart interval (`total` when there are none). */
  interval: number;
  /** Zig-zag position -> natural position, with spare entries for corrupt runs (80 bytes). */
  zigzag: Uint8Array;
}

/** What {@link ImageKernels.decodeScan} found: decoded, data ended early, or an invalid Huffman code. */
export type KernelScanStatus = 'ok' | 'truncated' | 'bad-code';

/**
 * Most bytes of data and planes a scan may bring into the kernel's memory, which never shrinks: larger scans
 * (full-size decodes of big photos, which the classify path never makes) stay in JavaScript.
 */
export const KERNEL_SCAN_MAX_BYTES = 8 << 20;

/** IDCT sizes the kernel has (the scale-down sizes the classify path uses, and full size). */
export const KERNEL_IDCT_SIZES: readonly number[] = [1, 2, 3, 4, 8];

// The constants of the small IDCTs, from JavaScript's Math.cos as shared/image/jpeg/idct.ts computes them, so
// that both give the same bits.
const IDCT_CONSTANTS = new Float64Array([
  0.5 * Math.SQRT1_2, 0.5 * Math.cos(Math.PI / 8), 0.5 * Math.cos((3 * Math.PI) / 8),
  0.5 * Math.SQRT1_2, 0.5 * Math.cos(Math.PI / 6), 0.25,
  ...[0, 1].flatMap((x) => [0, 1].map((u) => (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 4))),
]);

type DecodeScan = (
  data: number, segments: number, segmentCount: number, interval: number, total: number, mcusPerRow: number,
  slots: number, slotCount: number, coefs: number, preds: number, zz: number, constants: number, scratch: number,
) => number;

/** Bytes one MCU can read past the end of its data (10 blocks of 64 codes and magnitudes of up to 27 bits), plus a 32-bit read. */
const SCAN_PAD = 10 * 64 * 4 + 8;


type PlanesToInput = (
  planeCount: number, desc: number, columnsScratch: number, columns: number, rows: number, out: number,
  stepColumn: number, stepRow: number, ycc: number, scale: number, zero: number,
) => void;

const PAGE = 65536;

/**
 * Lays out one call's regions from the bottom of the kernel's memory (each call reuses all of it): `place`
 * returns the next 16-byte-aligned offset, `top` the end so far.
 */
function layout(): { place: (bytes: number) => number; top: () => number } {
  let end = 16;
  return {
    place: (bytes) => {
      const at = end;
      end = (end + bytes + 15) & ~15;
      return at;
    },
    top: () => end,
  };
}

export class ImageKernels {
  private readonly memory: WebAssembly.Memory;
  private readonly planesToInput: PlanesToInput;
  private readonly decodeScanExport: DecodeScan;
  private readonly reverseBytes: (src: number, dst: number, n: number) => void;

  constructor(module: WebAssembly.Module) {
    const { exports } = new WebAssembly.Instance(module, {});
    this.memory = exports.memory as WebAssembly.Memory;
    this.planesToInput = exports.planesToInput as PlanesToInput;
    this.decodeScanExport = exports.decodeScan as DecodeScan;
    this.reverseBytes = exports.reverseBytes as (src: number, dst: number, n: number) => void;
  }

  /** Grows the memory to hold `top` bytes; any view made before is invalid afterwards. */
  private reserve(top: number): ArrayBuffer {
    if (top > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((top - this.memory.buffer.byteLength) / PAGE));
    return this.memory.buffer;
  }

  /**
   * Decodes one sequential scan (Huffman codes and inverse DCTs) into its components' planes. Every IDCT size
   * must be one of {@link KERNEL_IDCT_SIZES}, and data plus planes at most {@link KERNEL_SCAN_MAX_BYTES}.
   */
  decodeScan(scan: KernelScan): KernelScanStatus {
    const { place, top } = layout();
    const { components, slots } = scan;
    const constants = place(IDCT_CONSTANTS.byteLength);
    const scratch = place(512);
    const zz = place(scan.zigzag.length);
    const preds = place(16);
    const descriptors = place(32 * components.length);
    const slotTable = place(24 * slots.length);
    const segments = place(8 * scan.starts.length);
    const quant = components.map(() => place(256));
    const tables = new Map<KernelHuffmanTable, number>();
    for (const slot of slots) for (const table of [slot.dc, slot.ac]) if (!tables.has(table)) tables.set(table, place(TABLE_BYTES));
    // The DC decode reads only lookup and the long-code fields: the AC look-ups of a DC table are not copied.
    const acTables = new Set(slots.map((slot) => slot.ac));
    // The kernel reads the data reversed (see bitWindow in kernels/scan-kernel.as.ts), from its end backwards: a block
    // read past the end of the data goes into the padding before it, until the check after its MCU turns it
    // into 'truncated'.
    const length = scan.ends[scan.ends.length - 1];
    const reversed = place(SCAN_PAD + length) + SCAN_PAD;
    const copy = place(length);
    const planes = components.map((c) => place(c.plane.length));
    const coefs = place(256 * slots.length * scan.mcusPerRow);
    const buffer = this.reserve(top());
    const bytes = new Uint8Array(buffer);
    const words = new Int32Array(buffer);
    new Float64Array(buffer, constants, IDCT_CONSTANTS.length).set(IDCT_CONSTANTS);
    bytes.set(scan.zigzag, zz);
    components.forEach((c, i) => {
      new Float32Array(buffer, quant[i], 64).set(c.quant);
      words.set([c.idctSize, quant[i], planes[i], c.planeStride, c.blocksAcross, c.rowsPerMcuRow, 0, 0], (descriptors >> 2) + 8 * i);
    });
    slots.forEach((slot, i) => {
      words.set([descriptors + 32 * slot.component, slot.dy, slot.dx, tables.get(slot.dc)!, tables.get(slot.ac)!, slot.component], (slotTable >> 2) + 6 * i);
    });
    scan.starts.forEach((start, i) => words.set([start, scan.ends[i]], (segments >> 2) + 2 * i));
    for (const [table, at] of tables) {
      // The offsets of jpeg/huffman-layout.ts, which the AssemblyScript kernel reads too.
      new Uint16Array(buffer, at + TABLE_LOOKUP, table.lookup.length).set(table.lookup);
      if (acTables.has(table)) {
        words.set(table.acFast, (at + TABLE_AC_FAST) >> 2);
        words.set(table.acPair, (at + TABLE_AC_PAIR) >> 2);
      }
      words.set(table.maxCode, (at + TABLE_MAX_CODE) >> 2);
      words.set(table.valueOffset, (at + TABLE_VALUE_OFFSET) >> 2);
      bytes.set(table.values, at + TABLE_VALUES);
    }
    bytes.set(scan.data.subarray(0, length), copy);
    this.reverseBytes(copy, reversed, length);
    // The kernel clears what it reads after each block; the first row starts from zeros.
    bytes.fill(0, coefs, coefs + 256 * slots.length * scan.mcusPerRow);
    const status = this.decodeScanExport(reversed + length - 4, segments, scan.starts.length, scan.interval, scan.total, scan.mcusPerRow, slotTable, slots.length, coefs, preds, zz, constants, scratch);
    if (status === 1) return 'truncated';
    if (status === 2) return 'bad-code';
    components.forEach((c, i) => c.plane.set(bytes.subarray(planes[i], planes[i] + c.plane.length)));
    return 'ok';
  }

  /** Bytes of linear memory the kernel holds (it grows to the largest image seen and never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Fills `out` (length rows * columns * 3, laid out by the target's steps). */
  run(planes: KernelPlane[], target: KernelTarget, out: Float32Array): void {
    const { columns, rows } = target;
    // Lay everything out first, so that memory grows (which replaces its buffer) before any view is made.
    const { place, top } = layout();
    const desc = place(48 * planes.length);
    const columnsScratch = place(4 * columns * planes.length);
    const outAt = place(4 * out.length);
    const at = planes.map((p) => ({
      // 4 bytes past the end: the kernel reads samples four at a time.
      data: place(p.data.length + 4),
      rowStart: place(p.rowStart.byteLength),
      rowCount: place(p.rowCount.byteLength),
      rowWeights: place(p.rowWeights.byteLength),
      columnStart: place(p.columnStart.byteLength),
      columnWeights: place(p.columnWeights.byteLength),
      row: place(4 * (p.span + p.columnTaps + 4)),
    }));
    const buffer = this.reserve(top());
    const words = new Int32Array(buffer);
    planes.forEach((p, i) => {
      const a = at[i];
      new Uint8Array(buffer, a.data, p.data.length).set(p.data);
      new Int32Array(buffer, a.rowStart, p.rowStart.length).set(p.rowStart);
      new Int32Array(buffer, a.rowCount, p.rowCount.length).set(p.rowCount);
      new Float32Array(buffer, a.rowWeights, p.rowWeights.length).set(p.rowWeights);
      new Int32Array(buffer, a.columnStart, p.columnStart.length).set(p.columnStart);
      new Float32Array(buffer, a.columnWeights, p.columnWeights.length).set(p.columnWeights);
      words.set([a.data, p.stride, p.x0, p.span, a.rowStart, a.rowCount, a.rowWeights, p.rowTaps, a.columnStart, a.columnWeights, p.columnTaps, a.row], (desc >> 2) + 12 * i);
    });
    this.planesToInput(planes.length, desc, columnsScratch, columns, rows, outAt, target.stepColumn, target.stepRow, target.ycc ? 1 : 0, target.scale, target.zero);
    out.set(new Float32Array(buffer, outAt, out.length));
  }
}

/**
 * Instantiates the kernels from image-kernels.wasm for an image runtime (image-runtime.ts). The module fails
 * to compile where WebAssembly SIMD is missing, before it gets here.
 */
export function createImageKernels(module: WebAssembly.Module): ImageKernels {
  return new ImageKernels(module);
}
