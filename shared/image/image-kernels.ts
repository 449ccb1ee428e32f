/**
 * The WebAssembly kernels of the image path (shared/image/kernels/image-kernels.wasm, built from
 * image-kernels.as.ts next to it; one module, one memory):
 * - the area resize and colour conversion behind {@link planesToModelInput}, in float32 with 128-bit SIMD:
 *   about 3x the JavaScript path, the same input to within 1e-6 (float32 rounding);
 * - the inverse DCTs of sequential JPEG scans, one MCU row at a time, bit for bit the JavaScript IDCTs
 *   (sizes 1, 2, 3, 4 and 8; other sizes stay in JavaScript): it saves the per-block calls, dispatch and
 *   clearing, about a tenth of a 1 MP decode in workerd.
 * workerd cannot compile WebAssembly from bytes, so the runtime adapters hand over a compiled module (the
 * worker's wasm import, or Node reading the file) with {@link installImageKernels}; until then, or where
 * WebAssembly SIMD is missing, the JavaScript paths run. The worker and the CLI both install it, so training
 * and serving see identical inputs.
 */

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

/** One component of a sequential scan, as the IDCT kernel needs it. */
export interface KernelScanComponent {
  idctSize: number;
  /** The prepared dequantiser (prepareQuantTable) for `idctSize`. */
  quant: Float32Array;
  planeStride: number;
  /** Pixel rows one MCU row makes of this component. */
  rowsPerMcuRow: number;
  /** Blocks of this component across one MCU. */
  blocksAcross: number;
}

/**
 * The IDCT half of a sequential scan in the kernel, laid out for one scan: the caller decodes each MCU row's
 * coefficients into `coefs` (64 per block, block `mcu * slotCount + slot`), calls `transformRow`, then copies
 * each component's `pixels(c)` (rowsPerMcuRow rows at the plane's stride) into its plane. Valid until the
 * kernel is next used: the views share the kernel's memory.
 */
export interface KernelScan {
  coefs: Int32Array;
  transformRow(mcuCount: number): void;
  pixels(component: number): Uint8Array;
}

/** IDCT sizes the kernel has (the scale-down sizes the classify path uses, and full size). */
export const KERNEL_IDCT_SIZES: readonly number[] = [1, 2, 3, 4, 8];

// The constants of the small IDCTs, from JavaScript's Math.cos as shared/image/jpeg/idct.ts computes them, so
// that both give the same bits.
const IDCT_CONSTANTS = new Float64Array([
  0.5 * Math.SQRT1_2, 0.5 * Math.cos(Math.PI / 8), 0.5 * Math.cos((3 * Math.PI) / 8),
  0.5 * Math.SQRT1_2, 0.5 * Math.cos(Math.PI / 6), 0.25,
  ...[0, 1].flatMap((x) => [0, 1].map((u) => (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 4))),
]);

type TransformMcuRow = (coefs: number, mcuCount: number, slots: number, slotCount: number, constants: number, scratch: number) => void;

type PlanesToInput = (
  planeCount: number, desc: number, columnsScratch: number, columns: number, rows: number, out: number,
  stepColumn: number, stepRow: number, ycc: number, scale: number, zero: number,
) => void;

const PAGE = 65536;
const align = (n: number) => (n + 15) & ~15;

export class ImageKernels {
  private readonly memory: WebAssembly.Memory;
  private readonly planesToInput: PlanesToInput;
  private readonly transformMcuRow: TransformMcuRow;

  constructor(module: WebAssembly.Module) {
    const { exports } = new WebAssembly.Instance(module, {});
    this.memory = exports.memory as WebAssembly.Memory;
    this.planesToInput = exports.planesToInput as PlanesToInput;
    this.transformMcuRow = exports.transformMcuRow as TransformMcuRow;
  }

  /** Grows the memory to hold `top` bytes; any view made before is invalid afterwards. */
  private reserve(top: number): ArrayBuffer {
    if (top > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((top - this.memory.buffer.byteLength) / PAGE));
    return this.memory.buffer;
  }

  /**
   * Lays out one sequential scan whose blocks are coded as `slots` (component index, dy, dx) per MCU, with
   * `mcusPerRow` MCUs per row. Every component's IDCT size must be one of {@link KERNEL_IDCT_SIZES}.
   */
  startScan(components: KernelScanComponent[], slots: { component: number; dy: number; dx: number }[], mcusPerRow: number): KernelScan {
    let top = 16;
    const place = (bytes: number) => {
      const at = top;
      top = align(top + bytes);
      return at;
    };
    const constants = place(IDCT_CONSTANTS.byteLength);
    const scratch = place(512);
    const descriptors = place(32 * components.length);
    const slotTable = place(16 * slots.length);
    const quant = components.map(() => place(256));
    const pixels = components.map((c) => place(c.rowsPerMcuRow * c.planeStride));
    const coefsAt = place(256 * slots.length * mcusPerRow);
    const buffer = this.reserve(top);
    new Float64Array(buffer, constants, IDCT_CONSTANTS.length).set(IDCT_CONSTANTS);
    const words = new Int32Array(buffer);
    components.forEach((c, i) => {
      new Float32Array(buffer, quant[i], 64).set(c.quant);
      words.set([c.idctSize, quant[i], pixels[i], c.planeStride, c.blocksAcross, 0, 0, 0], (descriptors >> 2) + 8 * i);
    });
    slots.forEach((slot, i) => words.set([descriptors + 32 * slot.component, slot.dy, slot.dx, 0], (slotTable >> 2) + 4 * i));
    // The kernel clears what it reads after each block; the first row starts from zeros.
    const coefs = new Int32Array(buffer, coefsAt, 64 * slots.length * mcusPerRow).fill(0);
    const views = components.map((c, i) => new Uint8Array(buffer, pixels[i], c.rowsPerMcuRow * c.planeStride));
    const transform = this.transformMcuRow;
    return {
      coefs,
      transformRow: (mcuCount) => transform(coefsAt, mcuCount, slotTable, slots.length, constants, scratch),
      pixels: (component) => views[component],
    };
  }

  /** Bytes of linear memory the kernel holds (it grows to the largest image seen and never shrinks). */
  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Fills `out` (length rows * columns * 3, laid out by the target's steps). */
  run(planes: KernelPlane[], target: KernelTarget, out: Float32Array): void {
    const { columns, rows } = target;
    // Lay everything out first, so that memory grows (which replaces its buffer) before any view is made.
    let top = 16;
    const place = (bytes: number) => {
      const at = top;
      top = align(top + bytes);
      return at;
    };
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
    const buffer = this.reserve(top);
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

let installed: ImageKernels | null = null;

/**
 * Makes {@link planesToModelInput} use the kernel compiled from image-kernels.wasm; `null` goes back to the
 * JavaScript path (tests compare the two). Does nothing useful where WebAssembly SIMD is missing: the
 * module then fails to compile before it gets here.
 */
export function installImageKernels(module: WebAssembly.Module | null): void {
  installed = module ? new ImageKernels(module) : null;
}

/** Puts back a kernel taken from {@link imageKernels} (or null), without compiling it again. */
export function setImageKernels(kernel: ImageKernels | null): void {
  installed = kernel;
}

/** The installed kernel, or null when the JavaScript path runs. */
export function imageKernels(): ImageKernels | null {
  return installed;
}
