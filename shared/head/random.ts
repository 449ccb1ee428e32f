/**
 * A small seeded pseudo-random generator, so everything random in the head (synthetic fixtures,
 * later hidden-layer initialisation) is a pure function of a seed and reproducible bit for bit
 * in workerd and Node. `Math.random` is never used in the core.
 */
export interface Random {
  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number;
  /** Standard normal N(0, 1) (Box-Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/**
 * Creates a deterministic generator (mulberry32 core) from any finite number; equal seeds give equal
 * streams. Not cryptographic.
 */
export function createRandom(seed: number): Random {
  let state = mixSeed(seed);
  let spare: number | undefined;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    uniform,
    normal() {
      if (spare !== undefined) {
        const value = spare;
        spare = undefined;
        return value;
      }
      // 1 - u keeps the argument of log in (0, 1], so no -Infinity.
      const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
      const angle = 2 * Math.PI * uniform();
      spare = radius * Math.sin(angle);
      return radius * Math.cos(angle);
    },
    int(n: number) {
      return Math.floor(uniform() * n);
    },
  };
}

/** Folds a double (including fractions and negatives) into a well-mixed 32-bit state. */
function mixSeed(seed: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, seed, true);
  let h = 0x9e3779b9 ^ view.getUint32(0, true);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= view.getUint32(4, true);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
