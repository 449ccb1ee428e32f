import { describe, expect, it } from 'vitest';
import { decodeEmbedding, decodeEmbeddingInto, encodeEmbedding, encodedLength } from '../../shared/examples/embedding-codec.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead } from '../../shared/head/train-head.ts';
import { evaluateHead } from '../../shared/head/metrics.ts';

describe('compact embedding storage (8-bit, per-row offset and step)', () => {
  it('round-trips ReLU6-range rows within half a step, in a quarter of the float32 bytes', () => {
    const row = Float32Array.from({ length: 1280 }, (_, i) => (i % 7 === 0 ? 0 : 6 * Math.abs(Math.sin(i * 12.9898))));
    const text = encodeEmbedding(row);
    expect(text.startsWith('q8:')).toBe(true);
    expect(text.length).toBeLessThan((1280 * 4) / 2.9);
    expect(encodedLength(text)).toBe(1280);
    const back = decodeEmbedding(text);
    const step = 6 / 255;
    let worst = 0;
    for (let i = 0; i < row.length; i++) worst = Math.max(worst, Math.abs(back[i] - row[i]));
    expect(worst).toBeLessThanOrEqual(step / 2 + 1e-6);
    expect(back[0]).toBe(0);
  });

  it('handles negative values, constant rows and odd lengths; decodes in place at an offset', () => {
    const cases = [Float32Array.from([-2, -1, 0.5, 3]), new Float32Array(5).fill(1.25), new Float32Array(0), Float32Array.from([7])];
    for (const row of cases) {
      const back = decodeEmbedding(encodeEmbedding(row));
      expect(back.length).toBe(row.length);
      for (let i = 0; i < row.length; i++) expect(Math.abs(back[i] - row[i])).toBeLessThanOrEqual(5 / 255 / 2 + 1e-6);
    }
    const out = new Float32Array(10).fill(-9);
    // Step 1 exactly, so the values come back exactly.
    expect(decodeEmbeddingInto(encodeEmbedding(Float32Array.from([0, 51, 255])), out, 6)).toBe(3);
    expect([...out]).toEqual([-9, -9, -9, -9, -9, -9, 0, 51, 255, -9]);
  });

  it('refuses text in another format and rows that do not fit', () => {
    expect(() => decodeEmbedding('AAAA')).toThrow(/not a q8/);
    expect(() => decodeEmbeddingInto(encodeEmbedding(new Float32Array(8)), new Float32Array(10), 4)).toThrow(/does not fit/);
  });

  it('a head trained on quantised embeddings scores like one trained on the float32 ones', () => {
    const set = makeSyntheticSet({ counts: [200, 200, 200, 200], embeddingSize: 256, seed: 5 });
    const d = set.embeddingSize;
    const n = set.labelIndex.length;
    const quantised = new Float32Array(set.embeddings.length);
    for (let r = 0; r < n; r++) decodeEmbeddingInto(encodeEmbedding(set.embeddings.subarray(r * d, (r + 1) * d)), quantised, r * d);
    const trainRows = Array.from({ length: n }, (_, r) => r).filter((r) => r % 4 !== 0);
    const testRows = Array.from({ length: n }, (_, r) => r).filter((r) => r % 4 === 0);
    const pick = (source: Float32Array, rows: number[]) => {
      const out = new Float32Array(rows.length * d);
      rows.forEach((r, i) => out.set(source.subarray(r * d, (r + 1) * d), i * d));
      return { embeddings: out, embeddingSize: d, labelIndex: Int32Array.from(rows.map((r) => set.labelIndex[r])), labels: set.labels };
    };
    const test = pick(set.embeddings, testRows);
    const exact = evaluateHead(trainHead(pick(set.embeddings, trainRows), { seed: 1 }).head, test);
    const compact = evaluateHead(trainHead(pick(quantised, trainRows), { seed: 1 }).head, test);
    expect(exact.accuracy).toBeGreaterThan(0.5);
    expect(Math.abs(compact.accuracy - exact.accuracy)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(compact.logLoss - exact.logLoss)).toBeLessThan(0.02);
  });
});
