import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/hash.ts';
import { decodeHead, encodeHead } from '../../shared/head/head-codec.ts';
import { headFromJson } from '../../shared/head/head-json.ts';
import { fixture } from './fixtures.ts';
import { publishCalibratedHead, TINY_BACKBONE } from './helpers.ts';
import { call, json } from './retrain-helpers.ts';

describe('GET /v1/heads/:version/weights and /v1/backbones/:id/tflite', () => {
  it('need the admin token', async () => {
    for (const path of ['/v1/heads/h-20261128T110000Z-0000abcd/weights', '/v1/backbones/bb-0000000000000000/tflite']) {
      const response = await call('GET', path, { admin: false });
      expect(response.status).toBe(401);
      expect((await json(response)).error.code).toBe('unauthorized');
    }
  });

  it('answer 404 for an unknown or malformed version or backbone id', async () => {
    for (const version of ['h-20261128T110000Z-0000abcd', 'nope']) {
      const response = await call('GET', `/v1/heads/${version}/weights`);
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('head_not_found');
    }
    for (const id of ['bb-0000000000000000', 'nope']) {
      const response = await call('GET', `/v1/backbones/${id}/tflite`);
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('backbone_not_found');
    }
  });

  it('give the stored head as JSON that parses back to the very same head, with its calibration and backbone', async () => {
    const { manifest, head, calibration } = await publishCalibratedHead();
    const response = await call('GET', `/v1/heads/${manifest.version}/weights`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = await json(response);
    expect(body).toMatchObject({ version: manifest.version, weightsSha256: manifest.weightsSha256, backgroundLabel: null });
    expect(body.calibration).toEqual(calibration);
    expect(body.backbone).toMatchObject({ id: manifest.backboneId, name: 'mobilenet_v1_0.25_128_quant', spec: { embeddingSize: 256, inputHeight: 128 } });
    expect(body.head.temperature).toBe(head.temperature);
    expect(body.head.temperature).not.toBe(1);
    expect(body.head.thresholds).toHaveLength(2);
    const parsed = headFromJson(body.head);
    expect(await sha256Hex(encodeHead(parsed))).toBe(manifest.weightsSha256);
  });

  it('give the stored binary with Accept: application/octet-stream, and the backbone file byte for byte', async () => {
    const { manifest } = await publishCalibratedHead();
    const weights = await call('GET', `/v1/heads/${manifest.version}/weights`, { headers: { accept: 'application/octet-stream' } });
    expect(weights.status).toBe(200);
    expect(weights.headers.get('content-type')).toBe('application/octet-stream');
    const bytes = new Uint8Array(await weights.arrayBuffer());
    expect(bytes.length).toBe(manifest.weightsBytes);
    expect(await sha256Hex(bytes)).toBe(manifest.weightsSha256);
    expect(weights.headers.get('etag')).toBe(`"${manifest.weightsSha256}"`);
    expect(decodeHead(bytes).labels).toEqual(['ants', 'bees']);

    const backbone = await call('GET', `/v1/backbones/${manifest.backboneId}/tflite`);
    expect(backbone.status).toBe(200);
    expect(backbone.headers.get('content-disposition')).toBe('attachment; filename="mobilenet_v1_0.25_128_quant.tflite"');
    const file = new Uint8Array(await backbone.arrayBuffer());
    expect(file).toEqual(fixture(TINY_BACKBONE));
    expect(backbone.headers.get('x-content-sha256')).toBe(await sha256Hex(file));
  });
});
