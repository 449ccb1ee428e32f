/**
 * The WebAssembly SIMD kernel behind {@link planesToModelInput} (shared/image/kernels/plane-resize.wasm,
 * built from plane-resize.as.ts next to it). It computes the same area resize and colour conversion as the
 * JavaScript path, in float32 four samples at a time: about 3x faster, and the classify path's largest cost
 * after the JPEG decode. workerd cannot compile WebAssembly from bytes, so the runtime adapters hand over a
 * compiled module (the worker's wasm import, or Node reading the file) with {@link installPlaneResizeKernel};
 * until then, or where WebAssembly SIMD is missing, the JavaScript path runs. Both give the same input to
 * within 1e-6 (float32 rounding), and the worker and the CLI both install the kernel, so training and serving
 * see identical inputs.
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

/** What {@link PlaneResizeKernel.run} fills: `rows` x `columns` RGB pixels, where pixel (b, a) starts at out[b * stepRow + a * stepColumn]. */
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

type PlanesToInput = (
  planeCount: number, desc: number, columnsScratch: number, columns: number, rows: number, out: number,
  stepColumn: number, stepRow: number, ycc: number, scale: number, zero: number,
) => void;

const PAGE = 65536;
const align = (n: number) => (n + 15) & ~15;

export class PlaneResizeKernel {
  private readonly memory: WebAssembly.Memory;
  private readonly planesToInput: PlanesToInput;

  constructor(module: WebAssembly.Module) {
    const { exports } = new WebAssembly.Instance(module, {});
    this.memory = exports.memory as WebAssembly.Memory;
    this.planesToInput = exports.planesToInput as PlanesToInput;
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
    if (top > this.memory.buffer.byteLength) this.memory.grow(Math.ceil((top - this.memory.buffer.byteLength) / PAGE));
    const buffer = this.memory.buffer;
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

let installed: PlaneResizeKernel | null = null;

/**
 * Makes {@link planesToModelInput} use the kernel compiled from plane-resize.wasm; `null` goes back to the
 * JavaScript path (tests compare the two). Does nothing useful where WebAssembly SIMD is missing: the
 * module then fails to compile before it gets here.
 */
export function installPlaneResizeKernel(module: WebAssembly.Module | null): void {
  installed = module ? new PlaneResizeKernel(module) : null;
}

/** Puts back a kernel taken from {@link planeResizeKernel} (or null), without compiling it again. */
export function setPlaneResizeKernel(kernel: PlaneResizeKernel | null): void {
  installed = kernel;
}

/** The installed kernel, or null when the JavaScript path runs. */
export function planeResizeKernel(): PlaneResizeKernel | null {
  return installed;
}
