/**
 * What CI checks before a deploy, offline and without a Cloudflare account: the production bundle builds
 * (`wrangler deploy --dry-run`), fits the Workers size limit, boots in workerd and serves an OpenAPI document that a
 * standard OpenAPI 3.1 validator accepts; and the generated `Env` types are current with wrangler.toml.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, tempDir } from '../helpers/node-fixtures.ts';

interface Result {
  code: number;
  output: string;
}

function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO_DIR, script), ...args],
      { cwd: REPO_DIR, env: { ...process.env, ...env }, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('the production bundle (npm run check:bundle)', () => {
  const outdir = tempDir('bundle');
  let built: Result;
  let worker: Miniflare;

  beforeAll(async () => {
    built = await runScript('trainer/bundle-size.ts', ['--outdir', outdir]);
    worker = new Miniflare({
      modules: true,
      modulesRoot: outdir,
      scriptPath: join(outdir, 'index.js'),
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: /compatibility_date = "([^"]+)"/.exec(readFileSync(join(REPO_DIR, 'wrangler.toml'), 'utf8'))![1],
      kvNamespaces: ['MODELS'],
      r2Buckets: ['EXAMPLES'],
      d1Databases: ['DB'],
      bindings: { RATE_LIMIT: 'off' },
    });
  });

  afterAll(() => worker?.dispose());

  it('bundles offline and reports its gzip size within the 10 MiB Workers Paid limit', () => {
    expect(built.code, built.output).toBe(0);
    const match = /worker bundle: ([\d.]+) MiB gzip, within the 10 MiB limit/.exec(built.output);
    expect(match, built.output).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThan(0.1);
    expect(built.output).toMatch(/tfjs-backend-wasm-simd\.wasm\s+[\d.]+ KiB gzip/);
  });

  it('fails over the limit', async () => {
    const over = await runScript('trainer/bundle-size.ts', ['--outdir', outdir, '--no-build', '--limit-mib', '0.1']);
    expect(over.code).toBe(1);
    expect(over.output).toMatch(/MiB gzip, OVER the 0.1 MiB limit/);
  });

  it('boots in workerd and serves an OpenAPI 3.1 document that the validator accepts', async () => {
    const response = await worker.dispatchFetch('http://edgehead.test/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    const validator = new Validator();
    const result = await validator.validate(document as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(Object.keys(document.paths)).toContain('/v1/classify');
    // The validator is not a rubber stamp: a document without its required `info` is refused.
    const broken = await new Validator().validate({ ...document, info: undefined } as unknown as Parameters<Validator['validate']>[0]);
    expect(broken.valid).toBe(false);
  });
});

describe('generated Env types (npm run check:types)', () => {
  it('workers/worker-configuration.d.ts is current with wrangler.toml, and the check notices a new var', async () => {
    const current = await runScript('trainer/wrangler-types.ts', ['--check']);
    expect(current.code, current.output).toBe(0);
    const changed = join(tempDir('types'), 'wrangler.toml');
    writeFileSync(changed, readFileSync(join(REPO_DIR, 'wrangler.toml'), 'utf8').replace('[vars]\n', '[vars]\nNEW_SETTING = "1"\n'));
    const stale = await runScript('trainer/wrangler-types.ts', ['--check'], { EDGEHEAD_WRANGLER_CONFIG: changed });
    expect(stale.code).toBe(1);
    expect(stale.output).toContain('out of date');
  });
});
