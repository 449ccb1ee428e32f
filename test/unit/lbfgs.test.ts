import { describe, expect, it } from 'vitest';
import { minimiseLbfgs, type DifferentiableFunction } from '../../shared/head/lbfgs.ts';

/** Counts evaluations so the tests can assert work done, not time. */
function counted(evaluate: (x: Float64Array, g: Float64Array) => number): DifferentiableFunction & { calls: number } {
  return {
    calls: 0,
    evaluate(x, g) {
      this.calls++;
      return evaluate(x, g);
    },
  };
}

const settings = { maxIterations: 500, tolerance: 1e-8, deadline: () => false };

describe('minimiseLbfgs', () => {
  it('finds the minimum of a convex quadratic with an ill-conditioned diagonal', () => {
    // F(x) = 1/2 sum a_i (x_i - c_i)^2, minimum 0 at c.
    const a = [1, 10, 100, 1000];
    const c = [3, -2, 0.5, 7];
    const f = counted((x, g) => {
      let sum = 0;
      for (let i = 0; i < x.length; i++) {
        g[i] = a[i] * (x[i] - c[i]);
        sum += 0.5 * a[i] * (x[i] - c[i]) ** 2;
      }
      return sum;
    });
    const start = new Float64Array(4);
    const run = minimiseLbfgs(f, start, settings);
    // Near the minimum F's decrease drops below float64's resolution before the gradient reaches 1e-8: 'stalled'.
    expect(['converged', 'stalled']).toContain(run.stopReason);
    for (let i = 0; i < 4; i++) expect(run.x[i]).toBeCloseTo(c[i], 6);
    expect(run.f).toBeLessThan(1e-12);
    expect(run.initialF).toBeCloseTo(0.5 * (9 + 40 + 25 + 49000), 8);
    expect(Array.from(start)).toEqual([0, 0, 0, 0]);
    expect(run.iterations).toBeLessThan(60);
  });

  it('finds the minimum of the Rosenbrock function at (1, 1)', () => {
    const f = counted((x, g) => {
      const [u, v] = [x[0], x[1]];
      g[0] = -2 * (1 - u) - 400 * u * (v - u * u);
      g[1] = 200 * (v - u * u);
      return (1 - u) ** 2 + 100 * (v - u * u) ** 2;
    });
    const run = minimiseLbfgs(f, Float64Array.of(-1.2, 1), settings);
    expect(['converged', 'stalled']).toContain(run.stopReason);
    expect(run.x[0]).toBeCloseTo(1, 5);
    expect(run.x[1]).toBeCloseTo(1, 5);
    expect(run.initialF).toBeCloseTo(24.2, 10);
    expect(f.calls).toBeLessThan(200);
  });

  it('stops at maxIterations and reports it', () => {
    const f = counted((x, g) => {
      g[0] = -2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2);
      g[1] = 200 * (x[1] - x[0] ** 2);
      return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2;
    });
    const run = minimiseLbfgs(f, Float64Array.of(-1.2, 1), { ...settings, maxIterations: 3 });
    expect(run.stopReason).toBe('max_iterations');
    expect(run.iterations).toBe(3);
    expect(run.f).toBeLessThan(run.initialF);
  });

  it('takes one iteration even when the deadline has already passed, then stops for it', () => {
    const f = counted((x, g) => {
      g[0] = 2 * (x[0] - 5);
      g[1] = 8 * (x[1] + 1);
      return (x[0] - 5) ** 2 + 4 * (x[1] + 1) ** 2;
    });
    const run = minimiseLbfgs(f, new Float64Array(2), { ...settings, deadline: () => true });
    expect(run.iterations).toBe(1);
    expect(run.stopReason).toBe('deadline');
    expect(run.f).toBeLessThan(run.initialF);
  });
});
