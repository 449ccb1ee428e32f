import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../shared/hash.ts';
import { encodeHead } from '../../shared/head/head-codec.ts';
import { modelKeys } from '../../shared/store/model-keys.ts';
import worker from '../../workers/index.ts';
import { fixture } from './fixtures.ts';
import { post, publishTrainedHead } from './helpers.ts';

type ErrorBody = { error: { code: string; message: string } };
const classify = () => exports.default.fetch(post('/v1/classify', fixture('images/cat_720p.jpg'), 'image/jpeg'));

/** The JSON lines the worker logged through console.error while `run` ran. */
async function loggedErrors(run: () => Promise<Response>): Promise<{ response: Response; logged: Record<string, unknown>[] }> {
  const spy = vi.spyOn(console, 'error');
  const response = await run();
  const logged = spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>);
  return { response, logged };
}

afterEach(() => vi.restoreAllMocks());

describe('faults on the server side answer 5xx with their own code, logged, never blamed on the caller', () => {
  it('answers 500 corrupt_stored_model when the stored head weights do not match their manifest', async () => {
    const manifest = await publishTrainedHead({ now: new Date('2026-11-29T08:00:00Z') });
    await env.MODELS.put(modelKeys.headWeights(manifest.version), new Uint8Array(64).fill(7));
    const { response, logged } = await loggedErrors(classify);
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('corrupt_stored_model');
    expect(body.error.message).toBe(`stored head ${manifest.version} does not match its manifest's sha256`);
    expect(logged).toEqual([expect.objectContaining({ type: 'error', code: 'corrupt_stored_model', name: 'CorruptStoredModelError' })]);
  });

  it('answers 500 corrupt_stored_model when the stored head matches its sha256 but cannot be decoded', async () => {
    const manifest = await publishTrainedHead({ now: new Date('2026-11-29T09:00:00Z') });
    const garbage = new TextEncoder().encode('EHHD but not a head at all');
    await env.MODELS.put(modelKeys.headWeights(manifest.version), garbage);
    await env.MODELS.put(modelKeys.headManifest(manifest.version), JSON.stringify({ ...manifest, weightsSha256: await sha256Hex(garbage) }));
    const { response, logged } = await loggedErrors(classify);
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('corrupt_stored_model');
    expect(body.error.message).toMatch(new RegExp(`^stored head ${manifest.version} cannot be read: head blob is \\d+ bytes`));
    expect(logged.map((l) => l.code)).toEqual(['corrupt_stored_model']);
  });

  it('answers 500 head_backbone_mismatch, logged, when the stored head does not fit the backbone its pointer names', async () => {
    const manifest = await publishTrainedHead({ now: new Date('2026-11-29T10:00:00Z') });
    // A well-formed head for 8-d embeddings, stored under the published version with a matching sha256.
    const k = manifest.labels.length;
    const narrow = encodeHead({
      labels: manifest.labels, embeddingSize: 8, featureMean: new Float32Array(8), featureScale: new Float32Array(8).fill(1),
      weights: new Float32Array(8 * k), bias: new Float32Array(k), temperature: 1,
    });
    await env.MODELS.put(modelKeys.headWeights(manifest.version), narrow);
    await env.MODELS.put(modelKeys.headManifest(manifest.version), JSON.stringify({ ...manifest, weightsSha256: await sha256Hex(narrow) }));
    const { response, logged } = await loggedErrors(classify);
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('head_backbone_mismatch');
    expect(body.error.message).toMatch(new RegExp(`^stored head ${manifest.version} expects 8-d embeddings but its backbone \\S+ gives \\d+$`));
    expect(logged).toEqual([expect.objectContaining({ type: 'error', code: 'head_backbone_mismatch', name: 'CorruptStoredModelError' })]);
  });

  it('answers 500 invalid_config naming the variable when the worker\'s vars are wrong, not a 400 to the caller', async () => {
    const ctx = createExecutionContext();
    const badEnv = { ...env, MAX_IMAGE_PIXELS: 'lots' } as Env;
    const { response, logged } = await loggedErrors(() => Promise.resolve(worker.fetch(new Request('http://edgehead.test/v1/model'), badEnv, ctx)));
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    const body = (await response.json()) as ErrorBody;
    expect(body.error).toEqual({ code: 'invalid_config', message: 'config MAX_IMAGE_PIXELS="lots" is not a positive integer' });
    expect(logged.map((l) => l.code)).toEqual(['invalid_config']);
  });
});
