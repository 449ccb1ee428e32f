import { describe, expect, it } from 'vitest';
import {
  allocateQuantisedRows,
  decodeEmbedding,
  decodeEmbeddingCodes,
  decodeEmbeddingInto,
  dequantiseRowInto,
  encodeEmbedding,
  encodedLength,
  quantiseEmbeddingInto,
} from '../../shared/examples/embedding-codec.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead, type QuantisedTrainingSet } from '../../shared/head/train-head.ts';
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

  it('decodes rows straight into 8-bit storage (codes, offset, step as stored), the same values as the float decoder', () => {
    const rows = [
      Float32Array.from({ length: 1280 }, (_, i) => 6 * Math.abs(Math.sin(i * 0.37))),
      Float32Array.from([-2, -1, 0.5, 3, 9]),
      new Float32Array(5).fill(1.25),
      Float32Array.from([0, 1, 2, 3, 4, 5, 6]),
      Float32Array.from([0, 1, 2, 3, 4, 5]),
    ];
    for (const row of rows) {
      const text = encodeEmbedding(row);
      const into = allocateQuantisedRows(3, row.length);
      decodeEmbeddingCodes(text, into, 1);
      const expected = decodeEmbedding(text);
      const back = new Float32Array(row.length);
      dequantiseRowInto(into, 1, back, 0);
      expect([...back]).toEqual([...expected]);
      // Rows 0 and 2 untouched; quantising the floats directly stores what encoding and decoding would.
      expect(into.codes.subarray(0, row.length).every((c) => c === 0) && into.offset[0] === 0 && into.offset[2] === 0).toBe(true);
      const direct = allocateQuantisedRows(1, row.length);
      quantiseEmbeddingInto(row, direct, 0);
      expect([...direct.codes]).toEqual([...into.codes.subarray(row.length, 2 * row.length)]);
      expect([direct.offset[0], direct.step[0]]).toEqual([into.offset[1], into.step[1]]);
    }
  });

  it('refuses malformed or wrongly sized text when decoding into 8-bit storage', () => {
    const into = allocateQuantisedRows(1, 8);
    expect(() => decodeEmbeddingCodes('AAAA', into, 0)).toThrow(/not a q8/);
    expect(() => decodeEmbeddingCodes(encodeEmbedding(new Float32Array(9)), into, 0)).toThrow(/9 values where 8/);
    const good = encodeEmbedding(new Float32Array(8).fill(2));
    expect(() => decodeEmbeddingCodes(good.slice(0, 4) + '*' + good.slice(5), into, 0)).toThrow(/not a q8/);
    expect(() => decodeEmbeddingCodes(good.slice(0, -1), into, 0)).toThrow(/not a q8/);
    expect(() => quantiseEmbeddingInto(new Float32Array(7), into, 0)).toThrow(/7 values where 8/);
  });

  it('trains on 8-bit rows directly: the head of the float32 expansion of the same rows, to rounding', () => {
    const set = makeSyntheticSet({ counts: [80, 60, 70], embeddingSize: 200, seed: 9 });
    const d = set.embeddingSize;
    const n = set.labelIndex.length;
    const rows = allocateQuantisedRows(n, d);
    for (let r = 0; r < n; r++) decodeEmbeddingCodes(encodeEmbedding(set.embeddings.subarray(r * d, (r + 1) * d)), rows, r);
    const expanded = new Float32Array(n * d);
    for (let r = 0; r < n; r++) dequantiseRowInto(rows, r, expanded, r * d);
    const quantised: QuantisedTrainingSet = { embeddings: rows, embeddingSize: d, labelIndex: set.labelIndex, labels: set.labels };
    const fromCodes = trainHead(quantised, { seed: 1 });
    const fromFloats = trainHead({ ...set, embeddings: expanded }, { seed: 1 });
    expect(fromCodes.converged).toBe(true);
    expect(fromCodes.iterations).toBe(fromFloats.iterations);
    expect(Math.abs(fromCodes.finalLoss - fromFloats.finalLoss)).toBeLessThan(1e-9);
    for (let i = 0; i < fromCodes.head.weights.length; i++) expect(Math.abs(fromCodes.head.weights[i] - fromFloats.head.weights[i])).toBeLessThan(1e-4);
    for (let j = 0; j < d; j++) expect(Math.abs(fromCodes.head.featureMean[j] - fromFloats.head.featureMean[j])).toBeLessThan(1e-5);

    // Deterministic and independent of the order the rows come in, as for float rows.
    const reversed = allocateQuantisedRows(n, d);
    for (let r = 0; r < n; r++) {
      reversed.codes.set(rows.codes.subarray(r * d, (r + 1) * d), (n - 1 - r) * d);
      reversed.offset[n - 1 - r] = rows.offset[r];
      reversed.step[n - 1 - r] = rows.step[r];
    }
    const again = trainHead({ ...quantised, embeddings: reversed, labelIndex: set.labelIndex.slice().reverse() }, { seed: 1 });
    expect(again.head.weights).toEqual(fromCodes.head.weights);
    expect(again.head.bias).toEqual(fromCodes.head.bias);
  });

  it('refuses inconsistent 8-bit training sets with a clear error', () => {
    const rows = allocateQuantisedRows(4, 3);
    const set: QuantisedTrainingSet = { embeddings: rows, embeddingSize: 3, labelIndex: Int32Array.from([0, 0, 1, 1]), labels: ['a', 'b'] };
    expect(() => trainHead({ ...set, embeddingSize: 4 }, { seed: 1 })).toThrow(/width 3/);
    expect(() => trainHead({ ...set, embeddings: { ...rows, step: new Float32Array(3) } }, { seed: 1 })).toThrow(/offset and a step for each/);
    const bad = allocateQuantisedRows(4, 3);
    bad.step[2] = Infinity;
    expect(() => trainHead({ ...set, embeddings: bad }, { seed: 1 })).toThrow(/embedding 2 has a non-finite/);
  });
});

