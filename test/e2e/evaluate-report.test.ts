import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/chromium.ts';
import { GENERATED_DIR } from '../helpers/fixture-pack.ts';
import { backbonePath, datasetPath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { renderReportHtml, type EvaluationReport } from '../../trainer/report-html.ts';

/**
 * Pairs of SVG text labels whose rotated bounding boxes intersect (separating-axis test on the boxes mapped
 * through each text's transform), per chart. A string, so no bundler helper leaks into the page.
 */
const OVERLAPS_JS = `(() => {
  const quads = (svg) => Array.from(svg.querySelectorAll('text')).filter((t) => t.textContent.trim()).map((t) => {
    const b = t.getBBox(), m = t.getCTM(), e = 1; // 1 px of slack: glyph boxes include line spacing
    const pts = [[b.x + e, b.y + e], [b.x + b.width - e, b.y + e], [b.x + b.width - e, b.y + b.height - e], [b.x + e, b.y + b.height - e]]
      .map(([x, y]) => new DOMPoint(x, y).matrixTransform(m));
    return { text: t.textContent, pts };
  });
  const separated = (a, b) => [a, b].some((poly) => poly.some((p, i) => {
    const q = poly[(i + 1) % 4], nx = q.y - p.y, ny = p.x - q.x;
    const pa = a.map((v) => v.x * nx + v.y * ny), pb = b.map((v) => v.x * nx + v.y * ny);
    return Math.max(...pa) <= Math.min(...pb) || Math.max(...pb) <= Math.min(...pa);
  }));
  const found = [];
  let texts = 0;
  for (const svg of document.querySelectorAll('svg')) {
    const qs = quads(svg);
    texts += qs.length;
    for (let i = 0; i < qs.length; i++) for (let j = i + 1; j < qs.length; j++) {
      if (!separated(qs[i].pts, qs[j].pts)) found.push(svg.getAttribute('aria-label') + ': ' + qs[i].text + ' / ' + qs[j].text);
    }
  }
  return { texts, found };
})()`;

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
  eceServed: number;
  calibrationFolds: { temperature: number; fittedOn: string[]; scoredOn: string[] }[];
  sources: Record<string, string>;
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
    // Every figure names its photos; the ECE comes from photos disjoint from the ones its temperature was fitted on.
    expect(Object.keys(report.sources).sort()).toEqual(['accuracy', 'calibration', 'confusion', 'misclassified', 'perLabel', 'unknown']);
    for (const text of Object.values(report.sources)) expect(text).toContain("the folder's val split (153 photos)");
    expect(report.sources.calibration).toMatch(/cross-fitted in 2 folds/);
    expect(report.calibrationFolds).toHaveLength(2);
    for (const fold of report.calibrationFolds) {
      expect(fold.fittedOn.filter((name) => fold.scoredOn.includes(name))).toEqual([]);
      expect(fold.fittedOn.length + fold.scoredOn.length).toBe(153);
      expect(fold.temperature).toBeGreaterThan(0);
    }
    const scored = report.calibrationFolds.flatMap((f) => f.scoredOn).sort();
    expect(new Set(scored).size).toBe(153);
    expect(scored.every((name) => name.startsWith('val/'))).toBe(true);
    expect(report.eceServed).toBeGreaterThanOrEqual(0);
    // Links point into the report folder: photos/..., never absolute.
    expect(report.misclassified.every((m) => m.href.startsWith('photos/') && existsSync(join(out, decodeURIComponent(m.href))))).toBe(true);
    const onDisk = JSON.parse(readFileSync(report.report.json, 'utf8')) as ReportJson;
    expect(onDisk.accuracy).toBe(report.accuracy);
    expect(existsSync(report.report.html)).toBe(true);
  });

  it('prints a readable summary by default', async () => {
    const result = await runCli(['evaluate', '--data', datasetPath('hymenoptera'), '--out', out], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`accuracy ${report.accuracy.toFixed(4)}`);
    expect(result.stdout).toMatch(/ECE \d\.\d{4} cross-fitted .*in-sample/);
    expect(result.stdout).toContain('report.html');
  });

  it('renders the HTML report in Chromium after the report folder is moved: charts, tables, photos, no overlapping labels', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const moved = join(tempDir('moved'), 'report');
    renameSync(out, moved);
    await page.goto(pathToFileURL(join(moved, 'report.html')).href);
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
    // Scores at 2-3 digits: no number on the page carries more than 3 decimals.
    expect(text.match(/\d\.\d{4,}/g)).toBeNull();
    // Each figure says which photos it comes from.
    expect(await page.locator('p.source').count()).toBe(5);
    expect(text).toContain('cross-fitted in 2 folds');
    // The reliability diagram labels its bin counts, one number per non-empty bin, summing to n.
    const counts = await page.locator('svg[aria-label="reliability diagram"] text.countlabel').allTextContents();
    expect(counts.reduce((s, c) => s + Number(c), 0)).toBe(report.n);
    const srcs = await page.locator('img').evaluateAll((imgs) => imgs.map((img) => img.getAttribute('src') ?? ''));
    expect(srcs.filter((src) => /^(\/|[a-z]+:)/i.test(src))).toEqual([]);
    const overlaps = (await page.evaluate(OVERLAPS_JS)) as { texts: number; found: string[] };
    expect(overlaps.texts).toBeGreaterThan(20);
    expect(overlaps.found).toEqual([]);
    // The SVG charts have real size on the page.
    const box = await page.locator('svg[aria-label="reliability diagram"]').boundingBox();
    expect(box!.width).toBeGreaterThan(200);
    mkdirSync(GENERATED_DIR, { recursive: true });
    await page.screenshot({ path: join(GENERATED_DIR, 'evaluate-report.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('keeps long and many labels apart in the charts', async () => {
    const page = await browser.newPage();
    const labels = ['a_rather_long_label_name_one', 'a_rather_long_label_name_two', 'short', 'medium_label_x', 'a_very_very_long_label_that_runs_on'];
    const k = labels.length;
    const base = report as unknown as EvaluationReport;
    const long: EvaluationReport = {
      ...base,
      head: { ...base.head, labels },
      perClass: labels.map((label, i) => ({ ...base.perClass[0], label, support: 10 + i })),
      confusion: labels.map((_, t) => labels.map((__, p) => (t === p ? 1234 : t + p))),
      misclassified: [],
    };
    await page.setContent(renderReportHtml(long));
    const overlaps = (await page.evaluate(OVERLAPS_JS)) as { texts: number; found: string[] };
    expect(overlaps.texts).toBeGreaterThan(4 * k + k * k);
    expect(overlaps.found).toEqual([]);
    mkdirSync(GENERATED_DIR, { recursive: true });
    await page.screenshot({ path: join(GENERATED_DIR, 'evaluate-report-long-labels.png'), fullPage: true });
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
