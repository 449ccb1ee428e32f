import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBackboneModel } from '../../shared/backbone/backbone-model.ts';
import { embedImage } from '../../shared/embed-image.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { backbonePath, imagePath, REPO_DIR, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';

const BACKBONE = backbonePath('mobilenet_v2_1.0_224_quant');

describe('npm start, then train while it runs, then classify (the newcomer flow, against real wrangler dev)', () => {
  const state = tempDir('serve-state');
  const env = { EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: tempDir('serve-cache') };
  let server: ServeProcess;
  let url: string;
  let output = '';

  beforeAll(async () => {
    server = await startServe({ ...env, EDGEHEAD_BACKBONE: BACKBONE });
    url = server.url;
    output = server.output();
  });

  afterAll(() => server?.stop());

  it('imports the backbone named by EDGEHEAD_BACKBONE and reports wasm SIMD', async () => {
    expect(output).toContain('imported backbone mobilenet_v2_1.0_224_quant');
    const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, backend: 'wasm', simd: true, head: null, backbone: 'bb-7aad0c74c5e3c06e' });
  });

  it('answers 503 with how to train before any head exists', async () => {
    const response = await fetch(`${url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: readFileSync(imagePath('cat_720p.jpg')) });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('npx edgehead train');
  });

  it('computes the same embedding in workerd as in Node', async () => {
    const photo = readFileSync(imagePath('cat_720p.jpg'));
    const response = await fetch(`${url}/v1/embed`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: photo });
    expect(response.status).toBe(200);
    const fromWorker = (await response.json()) as { embedding: number[]; dimensions: number };
    const runtime = await loadRuntime();
    // As the CLI builds it: the int8 engine for this quantised backbone, the same kernels as in workerd.
    const model = importBackboneModel(new Uint8Array(readFileSync(BACKBONE)), { embeddingOnly: true, int8Kernels: runtime.int8Kernels });
    const { embedding: fromNode, timing } = embedImage(new Uint8Array(photo), model, { maxImagePixels: 50_000_000, runtime: runtime.image });
    expect(timing.engine).toBe('int8-simd');
    model.dispose();
    expect(fromWorker.dimensions).toBe(1280);
    let maxDiff = 0;
    for (let i = 0; i < 1280; i++) maxDiff = Math.max(maxDiff, Math.abs(fromWorker.embedding[i] - fromNode[i]));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('answers an upload sent with Expect: 100-continue (as curl sends over 1 MB) with 100 Continue before the body', async () => {
    const photo = readFileSync(imagePath('kite_and_cold.jpg'));
    expect(photo.length).toBeGreaterThan(1_000_000);
    const { interim, status, body } = await new Promise<{ interim: number[]; status: number; body: string }>((resolve, reject) => {
      const interim: number[] = [];
      const req = request(`${url}/v1/embed`, {
        method: 'POST',
        headers: { 'content-type': 'image/jpeg', 'content-length': photo.length, expect: '100-continue' },
      });
      // The body waits for the interim answer, as curl's does; without one this times out instead of guessing.
      const timer = setTimeout(() => req.destroy(new Error('no 100 Continue within 20 s')), 20_000);
      req.on('information', (info) => interim.push(info.statusCode));
      req.on('continue', () => {
        clearTimeout(timer);
        req.end(photo);
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ interim, status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(interim).toEqual([100]);
    expect(status, body).toBe(200);
    expect((JSON.parse(body) as { dimensions: number }).dimensions).toBe(1280);
  });

  it('serves a head that `edgehead train` publishes while the service runs, from the next request', async () => {
    const train = await runCli(['train', '--data', smallImageFolder(12), '--json'], env);
    expect(train.code, train.stderr).toBe(0);
    const { version } = JSON.parse(train.stdout) as { version: string };
    const response = await fetch(`${url}/v1/classify?top_k=2`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: readFileSync(join(REPO_DIR, '../shared/datasets/hymenoptera/val/bees/1032546534_06907fe3b3.jpg')),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: { label: string; score: number }[]; model: { head: string; backbone: string; engine: string } };
    expect(body.model).toEqual({ head: version, backbone: 'bb-7aad0c74c5e3c06e', engine: 'int8-simd' });
    expect(body.predictions[0].label).toBe('bees');
    const model = (await (await fetch(`${url}/v1/model`)).json()) as { head: { version: string; labels: string[] } };
    expect(model.head).toMatchObject({ version, labels: ['ants', 'bees'] });
  });
});
