/**
 * Limited-memory BFGS for a smooth function of a float64 vector: the optimiser `trainHead` runs, kept apart from
 * the softmax objective so it can be tested on functions with known minima.
 */

/** A smooth function: returns F(x) and writes dF/dx into gradient (same length as x). */
export interface DifferentiableFunction {
  evaluate(x: Float64Array, gradient: Float64Array): number;
}

/** Why {@link minimiseLbfgs} stopped (see StopReason in train-head.ts for what each means). */
export type LbfgsStopReason = 'converged' | 'max_iterations' | 'deadline' | 'stalled';

/** L-BFGS history length: 10 is the usual sweet spot, and the memory is 2 * 10 * (d * k) doubles. */
const HISTORY = 10;

/** When to stop: gradient max-norm tolerance, iteration cap, and a deadline polled between evaluations. */
export interface LbfgsSettings {
  maxIterations: number;
  tolerance: number;
  deadline: () => boolean;
}

/** The minimiser found, F there, F at the start, and why the run stopped. */
export interface LbfgsRun {
  x: Float64Array;
  f: number;
  initialF: number;
  iterations: number;
  stopReason: LbfgsStopReason;
}

/** Armijo (sufficient decrease) and curvature constants of the weak Wolfe conditions; the usual values for quasi-Newton. */
const ARMIJO = 1e-4;
const CURVATURE = 0.9;
const MAX_LINE_SEARCH_STEPS = 30;
/** A relative decrease of F this small over one iteration means no more progress is possible in float64. */
const STALL = 1e-13;

/**
 * Limited-memory BFGS (Nocedal and Wright, algorithm 7.4 with the two-loop recursion and gamma = s.y / y.y
 * initial scaling) with a weak-Wolfe bracketing line search, which guarantees s.y > 0 so the update stays
 * positive definite.
 * @param objective F and its gradient; `start` is not modified
 * @returns the last accepted point (a fresh array) and why the run stopped; never throws
 */
export function minimiseLbfgs(objective: DifferentiableFunction, start: Float64Array, settings: LbfgsSettings): LbfgsRun {
  const size = start.length;
  let x = Float64Array.from(start);
  let g = new Float64Array(size);
  let f = objective.evaluate(x, g);
  const initialF = f;
  let xNext = new Float64Array(size);
  let gNext = new Float64Array(size);
  const direction = new Float64Array(size);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alpha = new Float64Array(HISTORY);
  let iterations = 0;

  for (;;) {
    if (maxAbs(g) <= settings.tolerance) return { x, f, initialF, iterations, stopReason: 'converged' };
    if (iterations >= settings.maxIterations) return { x, f, initialF, iterations, stopReason: 'max_iterations' };
    if (iterations > 0 && settings.deadline()) return { x, f, initialF, iterations, stopReason: 'deadline' };

    const m = sHistory.length;
    twoLoopDirection(g, sHistory, yHistory, rhoHistory, alpha, direction);
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Rounding broke the quasi-Newton model; restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -g[i];
      slope = dot(g, direction);
    }
    // Without curvature history the step has no natural scale; 1 / ||g||_1 keeps the first trial point sane.
    const firstStep = m === 0 ? Math.min(1, 1 / sumAbs(g)) : 1;

    // The first iteration ignores the deadline, so even an expired budget returns a trained (not a uniform) head.
    const deadline = iterations > 0 ? settings.deadline : never;
    const search = lineSearch(objective, x, f, slope, direction, firstStep, xNext, gNext, deadline);
    if (!search.accepted) {
      if (m === 0) return { x, f, initialF, iterations, stopReason: search.timedOut ? 'deadline' : 'stalled' };
      // Drop the history and retry once from steepest descent before giving up.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      if (search.timedOut) return { x, f, initialF, iterations, stopReason: 'deadline' };
      continue;
    }
    const fNext = search.f;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      s[i] = xNext[i] - x[i];
      y[i] = gNext[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 0) {
      if (sHistory.length === HISTORY) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const decrease = f - fNext;
    [x, xNext] = [xNext, x];
    [g, gNext] = [gNext, g];
    f = fNext;
    iterations++;
    if (decrease <= STALL * Math.max(1, Math.abs(f))) {
      return { x, f, initialF, iterations, stopReason: maxAbs(g) <= settings.tolerance ? 'converged' : 'stalled' };
    }
  }
}

/** Two-loop recursion: writes direction = -H g, H the inverse-Hessian estimate from the (s, y, rho) history. */
function twoLoopDirection(
  g: Float64Array,
  sHistory: Float64Array[],
  yHistory: Float64Array[],
  rhoHistory: number[],
  alpha: Float64Array,
  direction: Float64Array,
): void {
  for (let i = 0; i < g.length; i++) direction[i] = -g[i];
  const m = sHistory.length;
  for (let h = m - 1; h >= 0; h--) {
    alpha[h] = rhoHistory[h] * dot(sHistory[h], direction);
    axpy(-alpha[h], yHistory[h], direction);
  }
  if (m > 0) {
    const yLast = yHistory[m - 1];
    scaleInPlace(direction, 1 / (rhoHistory[m - 1] * dot(yLast, yLast)));
  }
  for (let h = 0; h < m; h++) {
    const beta = rhoHistory[h] * dot(yHistory[h], direction);
    axpy(alpha[h] - beta, sHistory[h], direction);
  }
}

interface LineSearchResult {
  accepted: boolean;
  timedOut: boolean;
  f: number;
}

/**
 * Finds t with F(x + t d) <= F(x) + ARMIJO t slope and slope(t) >= CURVATURE slope, writing the point and its
 * gradient to xNext / gNext. Bracketing: too long -> shrink (safeguarded quadratic interpolation), too short
 * -> grow (doubling) until a bracket exists, then bisect. When the deadline passes, an Armijo point is still
 * accepted so the time spent is not wasted.
 */
function lineSearch(
  objective: DifferentiableFunction,
  x: Float64Array,
  f: number,
  slope: number,
  direction: Float64Array,
  firstStep: number,
  xNext: Float64Array,
  gNext: Float64Array,
  deadline: () => boolean,
): LineSearchResult {
  let low = 0;
  let high = Infinity;
  let t = firstStep;
  for (let step = 0; step < MAX_LINE_SEARCH_STEPS; step++) {
    for (let i = 0; i < x.length; i++) xNext[i] = x[i] + t * direction[i];
    const fNext = objective.evaluate(xNext, gNext);
    const timedOut = deadline();
    const armijo = Number.isFinite(fNext) && fNext <= f + ARMIJO * t * slope;
    if (!armijo) {
      if (timedOut) return { accepted: false, timedOut, f };
      high = t;
      // Minimiser of the quadratic through F(0), F'(0) and F(t), kept inside [0.1 t, 0.5 t] of the bracket.
      const quadratic = Number.isFinite(fNext) ? (-slope * t * t) / (2 * (fNext - f - slope * t)) : 0.1 * t;
      t = Math.min(Math.max(quadratic, low + 0.1 * (t - low)), low + 0.5 * (t - low));
      continue;
    }
    if (timedOut || dot(gNext, direction) >= CURVATURE * slope) return { accepted: true, timedOut, f: fNext };
    low = t;
    t = high === Infinity ? 2 * t : 0.5 * (low + high);
  }
  return { accepted: false, timedOut: false, f };
}

export function never(): boolean {
  return false;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s0 = 0;
  let s1 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
  }
  if (i < n) s0 += a[i] * b[i];
  return s0 + s1;
}

function axpy(alpha: number, a: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] += alpha * a[i];
}

function scaleInPlace(a: Float64Array, factor: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= factor;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function sumAbs(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}