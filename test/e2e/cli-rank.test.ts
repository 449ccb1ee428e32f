import { mkdirSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backbonePath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';

const TINY = backbonePath('mobilenet_v1_0.25_128_quant');
const HALF = backbonePath('mobilenet_v1_0.5_160_quant');

interface RankJson {
  photos: number;
  labels: string[];
  ranking: { backbone: string; score: number; accuracy: number; timing_ms: { embed: number; score: number; crossValidation: number } }[];
  baselines: { majority: number; colourHistogram: number };
  recommendation: { backbone: string; reason: string; command: string };
  warning: string | null;
}

describe('edgehead rank (the CLI, in a child process)', () => {
  const env = { EDGEHEAD_STATE_DIR: tempDir('state'), EDGEHEAD_CACHE_DIR: tempDir('cache'), XDG_CACHE_HOME: tempDir('xdg') };
  const data = smallImageFolder(12);

  it('ranks the given backbones best first with a score, cross-validated accuracy and timings, and recommends one', async () => {
    const result = await runCli(['rank', '--data', data, '--backbone', TINY, '--backbone', HALF, '--folds', '4', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const rank = JSON.parse(result.stdout) as RankJson;
    expect(rank.photos).toBe(24);
    expect(rank.labels).toEqual(['ants', 'bees']);
    expect(rank.ranking.map((r) => r.backbone).sort()).toEqual(['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.5_160_quant']);
    const [first, second] = rank.ranking;
    expect(first.accuracy).toBeGreaterThanOrEqual(second.accuracy);
    for (const r of rank.ranking) {
      // 24 photos: accuracies and scores are multiples of 1/24.
      expect(Math.round(r.accuracy * 24)).toBeCloseTo(r.accuracy * 24, 9);
      expect(Math.round(r.score * 24)).toBeCloseTo(r.score * 24, 9);
      expect(r.timing_ms.embed).toBeGreaterThan(0);
    }
    expect(rank.baselines.majority).toBe(0.5);
    expect(rank.recommendation.backbone).toBe(first.backbone);
    expect(rank.recommendation.command).toContain(`--backbone ${first.backbone === 'mobilenet_v1_0.25_128_quant' ? TINY : HALF}`);
    expect(rank.recommendation.reason).toContain('cross-validated accuracy');
  });

  it('prints a readable table by default', async () => {
    const result = await runCli(['rank', '--data', data, '--backbone', TINY, '--folds', '3'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/#\s+backbone\s+CV acc\s+1-NN/);
    expect(result.stdout).toMatch(/^ 1 {2}mobilenet_v1_0\.25_128_quant/m);
    expect(result.stdout).toContain('recommended: mobilenet_v1_0.25_128_quant: the only candidate');
  });

  it('warns plainly when the best backbone barely beats the majority label', async () => {
    // Labels assigned by a coin-flip-like rule (both folders hold ants and bees alike): nothing can transfer.
    const mixed = smallImageFolder(12, ['ants', 'bees']);
    const shuffled = tempDir('shuffled');
    mkdirSync(join(shuffled, 'left'));
    mkdirSync(join(shuffled, 'right'));
    let i = 0;
    for (const label of ['ants', 'bees']) {
      for (const file of readdirSync(join(mixed, label)).sort()) symlinkSync(realpathSync(join(mixed, label, file)), join(shuffled, i++ % 2 ? 'left' : 'right', file));
    }
    const result = await runCli(['rank', '--data', shuffled, '--backbone', TINY, '--folds', '4', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const rank = JSON.parse(result.stdout) as RankJson;
    expect(rank.ranking[0].accuracy).toBeLessThan(0.625);
    expect(rank.warning).toMatch(/^(weak|negative) transfer/);
  });

  it('says how to name candidates when there are none, and refuses too many folds', async () => {
    const none = await runCli(['rank', '--data', data], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no candidate backbones: pass them with --backbone/);
    const folds = await runCli(['rank', '--data', data, '--backbone', TINY, '--folds', '20'], env);
    expect(folds.code).toBe(1);
    expect(folds.stderr).toMatch(/at least 20 photos per label/);
  });
});
