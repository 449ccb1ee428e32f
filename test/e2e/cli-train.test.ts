import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { getPlatformProxy } from 'wrangler';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backbonePath, REPO_DIR, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';

const TINY = backbonePath('mobilenet_v1_0.25_128_quant');

interface TrainJson {
  accuracy: number;
  version: string | null;
  labels: string[];
  train: number;
  val: number;
  embedded: number;
  cached: number;
  backboneId: string;
  published: { version: string; weightsSha256: string; labels: string[]; metrics: { accuracy: number } } | null;
}

describe('edgehead train (the CLI, in a child process)', () => {
  const state = tempDir('state');
  const cache = tempDir('cache');
  const data = smallImageFolder(15);
  const env = { EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: cache };

  it('is installed as the package bin and prints help', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'edgehead', '--help'], { cwd: REPO_DIR });
    expect(stdout).toContain('Usage: edgehead <command> [options]');
    expect(stdout).toMatch(/^\s+train\s+train a head/m);
  });

  it('trains on a split-less folder, publishes into the local state, and a second run re-embeds nothing', async () => {
    const first = await runCli(['train', '--data', data, '--backbone', TINY, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as TrainJson;
    expect(a.labels).toEqual(['ants', 'bees']);
    expect(a.train + a.val).toBe(30);
    expect(a.val).toBeGreaterThanOrEqual(4);
    expect(a.embedded).toBe(30);
    expect(a.cached).toBe(0);
    expect(a.version).toMatch(/^h-\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(first.stderr).toContain('precision');

    const second = JSON.parse((await runCli(['train', '--data', data, '--backbone', TINY, '--json'], env)).stdout) as TrainJson;
    expect(second.embedded).toBe(0);
    expect(second.cached).toBe(30);
    // Same data, same seed: the very same weights, under a new immutable version.
    expect(second.published!.weightsSha256).toBe(a.published!.weightsSha256);

    const proxy = await getPlatformProxy<{ MODELS: { get<T>(key: string, type: 'json'): Promise<T | null> } }>({ configPath: join(REPO_DIR, 'wrangler.toml'), persist: { path: join(state, 'v3') } });
    try {
      const pointer = await proxy.env.MODELS.get<{ version: string; backboneId: string }>('head/current', 'json');
      expect(pointer).toMatchObject({ version: second.version, backboneId: a.backboneId });
      const manifest = await proxy.env.MODELS.get<{ labels: string[]; weightsSha256: string }>(`head/${a.version}/manifest`, 'json');
      expect(manifest).toMatchObject({ labels: ['ants', 'bees'], weightsSha256: a.published!.weightsSha256 });
      const backbone = await proxy.env.MODELS.get<{ id: string; spec: { embeddingSize: number } }>(`backbone/${a.backboneId}/manifest`, 'json');
      expect(backbone?.spec.embeddingSize).toBe(256);
    } finally {
      await proxy.dispose();
    }
  });

  it('trains on the backbone the local state serves when no --backbone is given', async () => {
    const run = await runCli(['train', '--data', data, '--json', '--no-publish'], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as TrainJson;
    expect(result.cached).toBe(30);
    expect(result.version).toBeNull();
  });

  it('says plainly what is missing instead of a stack trace', async () => {
    const noData = await runCli(['train'], env);
    expect(noData.code).toBe(2);
    expect(noData.stderr).toContain('train needs --data DIR');
    expect(noData.stderr).toContain('Usage: edgehead train --data DIR');
    const badDir = await runCli(['train', '--data', '/nonexistent/photos'], env);
    expect(badDir.stderr).toContain('is not a folder');
    const empty = await runCli(['train', '--data', data], { EDGEHEAD_STATE_DIR: tempDir('empty'), EDGEHEAD_CACHE_DIR: cache });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('run `npm start` once');
    expect(empty.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses an unpinned backbone URL, and offline reports how to pass a path', async () => {
    const unpinned = await runCli(['backbone', 'import', 'https://example.invalid/model.tflite'], env);
    expect(unpinned.stderr).toContain('--sha256');
    const offline = await runCli(['backbone', 'import', `https://example.invalid/model.tflite#sha256=${'0'.repeat(64)}`], { ...env, XDG_CACHE_HOME: tempDir('xdg') });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('EDGEHEAD_BACKBONE=/path/to/model.tflite');
    expect(offline.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --augment and --head auto: calibrates, measures the baselines, stores the background label, and reports it all', async () => {
    const run = await runCli(['train', '--data', data, '--backbone', TINY, '--augment', '--head', 'auto', '--background-label', 'ants', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as TrainJson & {
      augmented: boolean;
      calibration: { temperature: number; eceBefore: number; eceAfter: number; thresholds: Record<string, number> };
      transfer: { accuracy: number; majorityBaseline: number; colourHistogramBaseline: number; warning: string | null };
      published: { backgroundLabel: string; training: { head: string; augmentedViews: string[]; mlp: { valAccuracy: number; linearValAccuracy: number } } };
    };
    expect(result.augmented).toBe(true);
    expect(result.calibration.temperature).toBeGreaterThan(0);
    expect(Object.keys(result.calibration.thresholds)).toEqual(['ants', 'bees']);
    expect(result.transfer.accuracy).toBe(result.accuracy);
    expect(result.transfer.majorityBaseline).toBeGreaterThan(0);
    expect(result.published.backgroundLabel).toBe('ants');
    expect(result.published.training.augmentedViews).toEqual(['flip', 'crop80', 'crop80-flip']);
    // auto keeps the hidden layer only when it validates strictly better (or ties with a lower log loss).
    const { valAccuracy, linearValAccuracy } = result.published.training.mlp;
    expect(['linear', 'mlp']).toContain(result.published.training.head);
    if (valAccuracy > linearValAccuracy) expect(result.published.training.head).toBe('mlp');
    if (valAccuracy < linearValAccuracy) expect(result.published.training.head).toBe('linear');
    expect(run.stderr).toMatch(/calibration: temperature \d+\.\d{3}, ECE/);
    expect(run.stderr).toMatch(/baselines: majority label/);
  });

  it('refuses an unknown --head and a --background-label that is not a label', async () => {
    const head = await runCli(['train', '--data', data, '--backbone', TINY, '--head', 'deep', '--no-publish'], env);
    expect(head.code).toBe(2);
    expect(head.stderr).toContain('--head must be linear, mlp or auto');
    const background = await runCli(['train', '--data', data, '--backbone', TINY, '--background-label', 'wasps', '--no-publish'], env);
    expect(background.code).toBe(1);
    expect(background.stderr).toContain('--background-label wasps is not one of the labels (ants, bees)');
  });
});
