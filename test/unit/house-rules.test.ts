import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { longFunctions } from '../helpers/function-sizes.ts';
import { importCycles, importGraph, importsOf, sourceFiles, topLevelMutables } from '../helpers/import-graph.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The AssemblyScript kernel compiles to its own wasm instance: its globals live in that instance, not in a module.
const shared = sourceFiles(ROOT, 'shared', (p) => p.endsWith('.as.ts'));

/**
 * Layers of shared/, lowest first: a file may import its own layer or lower ones, never higher. Leaves
 * (errors, hash, time, config) are layer 0.
 */
const LAYERS: [RegExp, number][] = [
  [/^shared\/(errors|hash|time|config|parse-integer)\.ts$/, 0],
  [/^shared\/(tflite|examples|tf|models)\//, 1],
  [/^shared\/image\//, 1],
  [/^shared\/(backbone|head)\//, 2],
  [/^shared\/(runtime|embed-image|load-backbone)\.ts$/, 3],
  [/^shared\/export\//, 3],
  [/^shared\/store\//, 3],
  [/^shared\/training\//, 4],
];

function layerOf(path: string): number {
  const found = LAYERS.find(([pattern]) => pattern.test(path));
  if (!found) throw new Error(`${path} has no layer in house-rules.test.ts; add it to LAYERS`);
  return found[1];
}

describe('the house rules of shared/', () => {
  it('holds no module-level mutable state (no top-level let or var): the adapters\' runtime object owns it', () => {
    const found = shared.flatMap((p) => topLevelMutables(ROOT, p));
    expect(found).toEqual([]);
    // The check itself sees a real top-level let: the worker adapter's per-isolate runtime is one.
    expect(topLevelMutables(ROOT, 'workers/runtime.ts').some((m) => m.endsWith(' isolate'))).toBe(true);
  });

  it('has no import cycle, nor has any cycle through workers/ and trainer/', () => {
    const adapters = ['workers', 'trainer'].flatMap((d) => sourceFiles(ROOT, d));
    const graph = importGraph(ROOT, [...shared, ...adapters]);
    expect(graph.size).toBeGreaterThan(100);
    expect(importCycles(graph)).toEqual([]);
    // And the cycle finder finds one when there is one.
    expect(importCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c']]);
  });

  it('never imports from a higher layer, nor from workers/ or trainer/', () => {
    const wrong = shared.flatMap((from) =>
      importsOf(ROOT, from)
        .filter((to) => !to.startsWith('shared/') || (/\.tsx?$/.test(to) && layerOf(to) > layerOf(from)))
        .map((to) => `${from} -> ${to}`),
    );
    expect(wrong).toEqual([]);
  });
});

describe('room sizes in shared/, workers/ and trainer/', () => {
  it('has no function, method or arrow body over 80 lines', () => {
    const files = ['shared', 'workers', 'trainer'].flatMap((d) => sourceFiles(ROOT, d));
    expect(files.length).toBeGreaterThan(100);
    const long = files.flatMap((p) => longFunctions(ROOT, p, 80)).map((f) => `${f.where} (${f.lines} lines)`);
    expect(long).toEqual([]);
    // And the check sees a long body when there is one: every function of a real file is over 2 lines.
    expect(longFunctions(ROOT, 'shared/head/head-codec.ts', 2).length).toBeGreaterThan(0);
  });
});
