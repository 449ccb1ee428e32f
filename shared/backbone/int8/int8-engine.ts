/**
 * Runs an `Int8Plan` with the kernels of int8-kernels.wasm (built from int8-kernels.as.ts next to it), one
 * instance and one linear memory per model. At load everything is laid out once: the packed weights, biases
 * and scales; one slot per live activation (slots are reused once their value is dead, so the peak is a few
 * feature maps); the im2col rows; the float input and the embedding. A forward then allocates nothing.
 * workerd cannot compile WebAssembly from bytes, so the adapters' runtime (shared/runtime.ts) holds the compiled
 * module and `importBackboneModel` hands it down; without it quantised backbones run on the float path.
 */
import type { Int8Plan, Int8Step, Window } from './int8-plan.ts';

interface Kernels {
  memory: WebAssembly.Memory;
  gemm(a: number, aStride: number, rows: number, k2: number, w: number, bias: number, scale: number, blocks: number, out: number, outStride: number, lo: number, hi: number): void;
  dwconv(x: number, h: number, wd: number, c: number, kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number, wt: number, wp: number, bias: number, scale: number, out: number, lo: number, hi: number): void;
  im2col(x: number, h: number, wd: number, c: number, kh: number, kw: number, sh: number, sw: number, padT: number, padL: number, oh: number, ow: number, out: number, kpad: number): void;
  add(a: number, b: number, n: number, sa: number, sb: number, lo: number, hi: number, out: number): void;
  quantize(x: number, n: number, inverseScale: number, lo: number, hi: number, out: number): void;
  meanPool(x: number, pixels: number, c: number, scale: number, out: number): void;
}

const PAGE = 65536;
const align = (n: number) => Math.ceil(n / 16) * 16;

/** Where each step's arrays and each value live in the instance's memory (byte offsets). */
interface Layout {
  weights: Map<Int8Step, { w: number; paired: number; bias: number; scale: number }>;
  values: Map<number, number>;
  im2col: number;
  pixels: number;
  embedding: number;
  top: number;
}

/** Assigns activation slots by liveness: a value's slot is free again after the last step that reads it. */
function slotValues(plan: Int8Plan): { slotOf: Map<number, number>; sizes: number[] } {
  const bytes = (id: number) => {
    const v = plan.values.get(id)!;
    return align(v.h * v.w * v.c * 2);
  };
  const reads = (s: Int8Step) => (s.op === 'add' ? s.inputs : [s.input]);
  const lastUse = new Map<number, number>();
  plan.steps.forEach((s, i) => reads(s).forEach((v) => lastUse.set(v, i)));
  lastUse.set(plan.pooled, plan.steps.length);
  const slotOf = new Map<number, number>([[plan.input, 0]]);
  const sizes = [bytes(plan.input)];
  const free: number[] = [];
  plan.steps.forEach((s, i) => {
    // The output may not share a slot with its own inputs: take a free slot before releasing them.
    const slot = free.length > 0 ? free.pop()! : sizes.push(0) - 1;
    sizes[slot] = Math.max(sizes[slot], bytes(s.output));
    slotOf.set(s.output, slot);
    for (const v of new Set(reads(s))) if (lastUse.get(v) === i) free.push(slotOf.get(v)!);
  });
  return { slotOf, sizes };
}

function layout(plan: Int8Plan, base: number): Layout {
  let top = align(base);
  const take = (n: number) => {
    const at = top;
    top += align(n);
    return at;
  };
  const weights = new Map<Int8Step, { w: number; paired: number; bias: number; scale: number }>();
  for (const s of plan.steps) {
    if (s.op === 'add') continue;
    weights.set(s, { w: take(s.weights.byteLength), paired: take(s.op === 'dwconv' ? s.paired.byteLength : 0), bias: take(s.bias.byteLength), scale: take(s.scale.byteLength) });
  }
  const { slotOf, sizes } = slotValues(plan);
  const slotAt = sizes.map((n) => take(n));
  const values = new Map([...slotOf].map(([v, slot]) => [v, slotAt[slot]] as [number, number]));
  let im2colBytes = 0;
  for (const s of plan.steps) {
    if (s.op === 'conv' && s.window) {
      const out = plan.values.get(s.output)!;
      im2colBytes = Math.max(im2colBytes, out.h * out.w * s.kpad * 2 + 8); // 8: im2col's slack past the last row
    }
  }
  const input = plan.values.get(plan.input)!;
  const pooled = plan.values.get(plan.pooled)!;
  return { weights, values, im2col: take(im2colBytes), pixels: take(input.h * input.w * input.c * 4), embedding: take(pooled.c * 4), top };
}

/** One model's instance of the kernels, its weights written in and its memory laid out. */
export class Int8Engine {
  private readonly k: Kernels;
  private readonly at: Layout;

  /** `kernels`: the compiled int8-kernels.wasm (the runtime's); each engine gets its own instance and memory. */
  constructor(
    private readonly plan: Int8Plan,
    kernels: WebAssembly.Module,
  ) {
    this.k = new WebAssembly.Instance(kernels, {}).exports as unknown as Kernels;
    const memory = this.k.memory;
    this.at = layout(plan, memory.buffer.byteLength);
    memory.grow(Math.max(0, Math.ceil((this.at.top - memory.buffer.byteLength) / PAGE)));
    const buffer = memory.buffer;
    for (const [s, at] of this.at.weights) {
      if (s.op === 'add') continue;
      new Int16Array(buffer, at.w, s.weights.length).set(s.weights);
      if (s.op === 'dwconv') new Int16Array(buffer, at.paired, s.paired.length).set(s.paired);
      new Int32Array(buffer, at.bias, s.bias.length).set(s.bias);
      new Float32Array(buffer, at.scale, s.scale.length).set(s.scale);
    }
  }

  /** Bytes of linear memory this model holds. */
  get memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
  }

  /** One image: real-valued HWC pixels in, the embedding (mean of the last feature map, dequantised) out. */
  embed(pixels: Float32Array, out: Float32Array): void {
    const { k, at, plan } = this;
    new Float32Array(k.memory.buffer, at.pixels, pixels.length).set(pixels);
    k.quantize(at.pixels, pixels.length, 1 / plan.inputScale, plan.inputLo, plan.inputHi, at.values.get(plan.input)!);
    for (const s of plan.steps) this.step(s);
    const pooled = plan.values.get(plan.pooled)!;
    k.meanPool(at.values.get(plan.pooled)!, pooled.h * pooled.w, pooled.c, pooled.scale, at.embedding);
    out.set(new Float32Array(k.memory.buffer, at.embedding, pooled.c));
  }

  private step(s: Int8Step): void {
    const { k, at, plan } = this;
    const out = at.values.get(s.output)!;
    const o = plan.values.get(s.output)!;
    if (s.op === 'add') {
      k.add(at.values.get(s.inputs[0])!, at.values.get(s.inputs[1])!, o.h * o.w * o.c, s.sa, s.sb, s.lo, s.hi, out);
      return;
    }
    const x = plan.values.get(s.input)!;
    const xAt = at.values.get(s.input)!;
    const w = at.weights.get(s)!;
    if (s.op === 'dwconv') {
      const g: Window = s.window;
      k.dwconv(xAt, x.h, x.w, x.c, g.kh, g.kw, g.sh, g.sw, g.padT, g.padL, o.h, o.w, w.w, w.paired, w.bias, w.scale, out, s.lo, s.hi);
      return;
    }
    let a = xAt;
    if (s.window) {
      const g = s.window;
      k.im2col(xAt, x.h, x.w, x.c, g.kh, g.kw, g.sh, g.sw, g.padT, g.padL, o.h, o.w, at.im2col, s.kpad);
      a = at.im2col;
    }
    k.gemm(a, s.kpad * 2, o.h * o.w, s.kpad / 2, w.w, w.bias, w.scale, o.c / 8, out, o.c * 2, s.lo, s.hi);
  }
}
