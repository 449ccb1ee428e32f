import { describe, expect, it } from 'vitest';
import { encodeHead } from '../../shared/head/head-codec.ts';
import { headFromJson, headToJson } from '../../shared/head/head-json.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { createRandom } from '../../shared/head/random.ts';

function randomHead(): Head {
  const random = createRandom(11);
  const floats = (n: number, offset = 0) => Float32Array.from({ length: n }, () => offset + random.normal() * 0.37);
  const [d, k, h, r] = [6, 3, 4, 2];
  const basis = new Float32Array(r * d);
  basis[0] = 1;
  basis[d + 1] = 1;
  return {
    labels: ['cat', 'dog', 'é🐝'],
    embeddingSize: d,
    featureMean: floats(d),
    featureScale: floats(d, 2),
    hidden: { size: h, weights: floats(d * h), bias: floats(h) },
    weights: floats(h * k),
    bias: floats(k),
    temperature: 1.2345678901,
    thresholds: Float32Array.from([0.1, 0.333333, 0]),
    ood: { rank: r, residualVariance: 0.7, threshold: 12.5, inverseVariance: floats(r, 3), basis, classMeans: floats(k * d), projectedMeans: floats(k * r) },
  };
}

describe('head JSON (headToJson / headFromJson)', () => {
  it('round-trips every field through JSON text to the very same binary head', () => {
    const head = randomHead();
    const text = JSON.stringify(headToJson(head));
    const back = headFromJson(JSON.parse(text));
    expect(encodeHead(back)).toEqual(encodeHead(head));
    expect(back.ood?.basis).toEqual(head.ood?.basis);
    expect(JSON.parse(text)).toMatchObject({ format: 'edgehead-head', labels: ['cat', 'dog', 'é🐝'], embeddingSize: 6, hidden: { size: 4 } });
  });

  it('refuses JSON that is not a consistent head, saying what is wrong', () => {
    const json = headToJson(randomHead());
    expect(() => headFromJson({ ...json, format: 'other' })).toThrow(/"format" must be "edgehead-head"/);
    expect(() => headFromJson({ ...json, bias: [1, 'x', 2] })).toThrow(/bias must be an array of numbers/);
    expect(() => headFromJson({ ...json, bias: [1, 2] })).toThrow(/bias/);
    expect(() => headFromJson({ ...json, temperature: 0 })).toThrow(/temperature/);
    expect(() => headFromJson(null)).toThrow(/not an edgehead head/);
  });
});
