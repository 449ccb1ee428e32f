import { describe, expect, it } from 'vitest';
import { InvalidModelError } from '../../shared/errors.ts';
import { decodeHead, encodeHead, sha256Hex } from '../../shared/head/head-codec.ts';
import type { Head } from '../../shared/head/head-types.ts';
import { createRandom } from '../../shared/head/random.ts';

function randomHead(d = 16, labels = ['ants', 'bees', 'wasps — é 🐝']): Head {
  const random = createRandom(3);
  const k = labels.length;
  return {
    labels,
    embeddingSize: d,
    featureMean: Float32Array.from({ length: d }, () => random.uniform() * 6),
    featureScale: Float32Array.from({ length: d }, () => 0.1 + random.uniform()),
    weights: Float32Array.from({ length: d * k }, () => random.normal()),
    bias: Float32Array.from({ length: k }, () => random.normal()),
    temperature: 1.2345678901234,
  };
}

/** Re-seals a tampered blob with a valid CRC, so the test reaches the check after the checksum. */
function reseal(bytes: Uint8Array): Uint8Array {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length - 4; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(bytes.length - 4, (crc ^ 0xffffffff) >>> 0, true);
  return bytes;
}

describe('encodeHead / decodeHead', () => {
  it('round-trips exactly: head -> bytes -> head -> bytes', () => {
    const head = randomHead();
    head.weights[0] = -0; // sign of zero survives
    const bytes = encodeHead(head);
    const decoded = decodeHead(bytes);
    expect(decoded.labels).toEqual(head.labels);
    expect(decoded.embeddingSize).toBe(16);
    expect(decoded.temperature).toBe(head.temperature);
    expect(decoded.featureMean).toEqual(head.featureMean);
    expect(decoded.featureScale).toEqual(head.featureScale);
    expect(decoded.weights).toEqual(head.weights);
    expect(Object.is(decoded.weights[0], -0)).toBe(true);
    expect(decoded.bias).toEqual(head.bias);
    expect(encodeHead(decoded)).toEqual(bytes);
  });

  it('starts with the magic and version and has the documented size', () => {
    const bytes = encodeHead(randomHead(1280, ['cats', 'dogs']));
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('EHHD');
    expect(bytes[4] | (bytes[5] << 8)).toBe(1);
    const labelsJson = JSON.stringify(['cats', 'dogs']).length; // 15 -> padded to 16
    expect(bytes.length).toBe(32 + Math.ceil(labelsJson / 4) * 4 + 4 * (2 * 1280 + 1280 * 2 + 2) + 4);
  });

  it('decodes from a Uint8Array view at an odd offset in a larger buffer', () => {
    const bytes = encodeHead(randomHead());
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 1);
    expect(encodeHead(decodeHead(big.subarray(1, 1 + bytes.length)))).toEqual(bytes);
  });

  const corruptions: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
    ['bad magic', (b) => reseal(Object.assign(b, { 0: 0x58 })), /magic/],
    ['unknown version', (b) => reseal(Object.assign(b, { 4: 9 })), /version 9/],
    ['truncation', (b) => b.subarray(0, b.length - 10), /truncated/],
    ['trailing bytes', (b) => Uint8Array.from([...b, 0]), /truncated/],
    ['too short for a header', (b) => b.subarray(0, 20), /at least/],
    ['a flipped bit in the weights', (b) => Object.assign(b, { 200: b[200] ^ 1 }), /checksum/],
    ['a label count that disagrees with the size', (b) => reseal(Object.assign(b, { 12: 4 })), /implies/],
    [
      'a NaN weight',
      (b) => {
        const view = new DataView(b.buffer);
        view.setFloat32(b.length - 4 - 4 * 3 - 4 * 10, Number.NaN, true);
        return reseal(b);
      },
      /NaN/,
    ],
    [
      'a zero temperature',
      (b) => {
        new DataView(b.buffer).setFloat64(24, 0, true);
        return reseal(b);
      },
      /temperature/,
    ],
    [
      'non-canonical label JSON',
      (b) => {
        b[32 + 1] = 0x20; // '["ants"' -> '[ ants"' breaks it; either way it must be rejected
        return reseal(b);
      },
      /labels/,
    ],
  ];
  for (const [name, corrupt, message] of corruptions) {
    it(`throws InvalidModelError on ${name}`, () => {
      const bytes = corrupt(encodeHead(randomHead()));
      expect(() => decodeHead(bytes)).toThrow(InvalidModelError);
      expect(() => decodeHead(bytes)).toThrow(message);
    });
  }

  it('refuses to encode an inconsistent head', () => {
    const head = randomHead();
    expect(() => encodeHead({ ...head, bias: new Float32Array(2) })).toThrow(InvalidModelError);
    expect(() => encodeHead({ ...head, labels: ['a', 'a', 'b'] })).toThrow(/twice/);
    expect(() => encodeHead({ ...head, featureScale: head.featureScale.map((v, j) => (j === 3 ? Infinity : v)) })).toThrow(/finite/);
  });
});

describe('sha256Hex', () => {
  it('matches the known digest of "abc"', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
