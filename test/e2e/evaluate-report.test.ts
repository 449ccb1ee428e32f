import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { GENERATED_DIR } from '../helpers/fixture-pack.ts';
import { backbonePath, datasetPath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';

const TINY = backbonePath('mobilenet_v1_0.25_128_quant');

interface ReportJson {
  accuracy: number;
  ece: number;
  eceUncalibrated: number;
  n: number;
  split: string;
  perClass: { label: string; precision: number; recall: number; f1: number; support: number }[];
  confusion: number[][];
  reliability: { count: number }[];
  misclassified: { name: string; href: string; label: string; predicted: string }[];
  head: { version: string; temperature: number };
  report: { html: string; json: string };
}

describe('edgehead evaluate (CLI in a child process, report checked in headless Chromium)', () => {
  const state = tempDir('state');
  const cache = tempDir('cache');
  const out = tempDir('report');
  const env = { EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: cache };
  let report: ReportJson;
  let browser: BrowserContext;

  beforeAll(async () => {
    const trained = await runCli(['train', '--data', smallImageFolder(15), '--backbone', TINY, '--json'], env);
    expect(trained.code, trained.stderr).toBe(0);
  });
  afterAll(async () => browser?.close());

  it('refuses clearly before any head is published', async () => {
    const result = await runCli(['evaluate', '--data', smallImageFolder(2)], { EDGEHEAD_STATE_DIR: tempDir('empty'), EDGEHEAD_CACHE_DIR: cache });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^edgehead: no head is published.*edgehead train/m);
  });

  it('scores the serving head on the val split and writes JSON with accuracy, ECE, per-class metrics and the misclassified photos', async () => {
    // hymenoptera has a val split: only val is scored.
    const result = await runCli(['evaluate', '--data', datasetPath('hymenoptera'), '--out', out, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(result.stdout) as ReportJson;
    expect(report.split).toBe('val');
    expect(report.n).toBe(153);
    expect(report.accuracy).toBeGreaterThan(0.6);
    expect(report.ece).toBeGreaterThanOrEqual(0);
    expect(report.ece).toBeLessThan(0.5);
    expect(report.perClass.map((m) => m.support)).toEqual([70, 83]);
    const correct = report.confusion[0][0] + report.confusion[1][1];
    expect(correct / report.n).toBeCloseTo(report.accuracy, 10);
    expect(report.misclassified).toHaveLength(report.n - correct);
    expect(report.misclassified.every((m) => m.label !== m.predicted && m.name.startsWith('val/'))).toBe(true);
    expect(report.reliability.reduce((s, b) => s + b.count, 0)).toBe(153);
    const onDisk = JSON.parse(readFileSync(report.report.json, 'utf8')) as ReportJson;
    expect(onDisk.accuracy).toBe(report.accuracy);
    expect(existsSync(report.report.html)).toBe(true);
  });

  it('prints a readable summary by default', async () => {
    const result = await runCli(['evaluate', '--data', datasetPath('hymenoptera'), '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`accuracy ${report.accuracy.toFixed(4)}`);
    expect(result.stdout).toMatch(/ECE \d\.\d{4}/);
    expect(result.stdout).toContain('report.html');
  });

  it('renders the HTML report in Chromium: charts, tables and the misclassified photos', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(report.report.html).href);
    expect(await page.title()).toContain(report.head.version);
    expect(await page.locator('svg[aria-label="reliability diagram"] rect.acc').count()).toBe(report.reliability.filter((b) => b.count > 0).length);
    expect(await page.locator('svg[aria-label="confusion matrix"] rect').count()).toBe(4);
    expect(await page.locator('svg[aria-label="precision, recall and F1 per label"] rect').count()).toBe(6);
    expect(await page.locator('table tbody tr').count()).toBe(2);
    expect(await page.locator('figure').count()).toBe(report.misclassified.length);
    // Every misclassified photo actually loads (links are relative to the report).
    await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
    const broken = await page.evaluate(() => Array.from(document.images).filter((img) => img.naturalWidth === 0).map((img) => img.src));
    expect(broken).toEqual([]);
    const text = await page.locator('body').innerText();
    expect(text).toContain((100 * report.accuracy).toFixed(1) + '%');
    expect(text).toContain(report.ece.toFixed(3));
    // The SVG charts have real size on the page.
    const box = await page.locator('svg[aria-label="reliability diagram"]').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    mkdirSync(GENERATED_DIR, { recursive: true });
    await page.screenshot({ path: join(GENERATED_DIR, 'evaluate-report.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('refuses a folder with labels the head does not know', async () => {
    const data = smallImageFolder(2, ['ants', 'bees']);
    mkdirSync(join(data, 'wasps'));
    const bees = join(datasetPath('hymenoptera'), 'val', 'bees');
    symlinkSync(join(bees, readdirSync(bees).sort()[0]), join(data, 'wasps', 'w.jpg'));
    const result = await runCli(['evaluate', '--data', data, '--out', tempDir('r')], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/label folders the serving head .* does not know: wasps/);
  });
});
