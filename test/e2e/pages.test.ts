import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevVarsToken } from '../../trainer/serve-command.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { backbonePath, datasetPath, tempDir } from '../helpers/node-fixtures.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = process.env.EDGEHEAD_SCREENSHOTS ?? tempDir('page-shots');
const photos = (label: string, n: number) => {
  const dir = join(datasetPath('hymenoptera'), 'train', label);
  return readdirSync(dir).sort().slice(0, n).map((f) => join(dir, f));
};

/** Every request, console error and page error a page makes, to check afterwards. */
function watch(page: Page, origin: string) {
  const seen = { outside: [] as string[], errors: [] as string[] };
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !/^(blob|data):/.test(r.url())) seen.outside.push(r.url()); });
  page.on('console', (m) => { if (m.type() === 'error') seen.errors.push(m.text()); });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) seen.errors.push(`${r.status()} ${r.url()}`); });
  return seen;
}

/** axe-core's serious and critical violations (its source is evaluated over CDP: the CSP refuses inline scripts). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => (await (globalThis as any).axe.run()) as { violations: { id: string; impact: string; nodes: unknown[] }[] });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
}

/** Screenshots at 1200 and 390 px; each must hold more than a handful of colours, and 390 px must not scroll sideways. */
async function checkLayout(page: Page, name: string) {
  for (const width of [1200, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(join(SHOTS, `${name}-${width}.png`), png);
    const image = decodePng(png);
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length; i += image.channels * 97) colours.add((image.data[i] << 16) | (image.data[i + 1] << 8) | image.data[i + 2]);
    expect(colours.size, `${name} at ${width} px looks blank`).toBeGreaterThan(8);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} scrolls sideways at ${width} px`).toBeLessThanOrEqual(width);
  }
  await page.setViewportSize({ width: 1200, height: 900 });
}

describe('the web pages in a real headless Chromium against edgehead serve', () => {
  let server: ServeProcess;
  let browser: BrowserContext;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const state = tempDir('pages-state');
    [server, browser] = await Promise.all([
      startServe({ EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: tempDir('pages-cache'), EDGEHEAD_BACKBONE: backbonePath('mobilenet_v1_0.25_128_quant') }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    server?.stop();
  });

  it('/: says in plain words that no model is trained yet', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    await page.goto(`${server.url}/`);
    await page.getByLabel(/Choose a photo/).setInputFiles(photos('bees', 1));
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 60_000 }).toBe('No model has been trained yet: add photos and press Train on the admin page.');
    expect(await page.locator('#status').getAttribute('class')).toBe('error');
    // The 503 itself is the expected answer (the browser logs it as a failed resource); nothing else may fail.
    expect(seen.errors.filter((e) => !e.includes('503'))).toEqual([]);
    await page.close();
  });

  it('/admin: token, photos for two labels, Train, the new version and its confusion matrix, roll back', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Admin token').fill(readDevVarsToken()!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#admin').waitFor({ state: 'visible' });
    await page.locator('#token-form').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    for (const label of ['ants', 'bees']) {
      await page.getByLabel('Label', { exact: true }).fill(label);
      await page.getByLabel('Photos').setInputFiles(photos(label, 12));
      await page.getByRole('button', { name: 'Add photos' }).click();
      await expect.poll(() => page.locator('#message').textContent(), { timeout: 60_000 }).toBe(`Added 12 of 12 photos to ${label}.`);
      await page.getByRole('heading', { name: `${label} (12)` }).waitFor();
    }
    await page.locator('.thumbs img[src^="blob:"]').first().waitFor();

    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 120_000 }).toMatch(/^Run published\b.*\(new version h-/);
    const first = /new version (h-\S+)\)/.exec((await page.locator('#train-status').textContent())!)![1];
    const matrix = page.getByRole('img', { name: /Confusion matrix/ });
    await matrix.waitFor();
    const cells = (await matrix.locator('rect').count());
    expect(cells).toBe(4);
    await expect.poll(() => page.locator('#runs tr').count(), { timeout: 60_000 }).toBe(2);

    // A change to the examples, then a second version to roll back from.
    await page.getByRole('heading', { name: 'ants (12)' }).locator('..').getByRole('button', { name: 'Remove' }).first().click();
    await page.getByRole('heading', { name: 'ants (11)' }).waitFor();
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 120_000 }).toMatch(/^Run /);
    const status = (await page.locator('#train-status').textContent())!;
    expect(status, status).toMatch(/^Run published/);
    await expect.poll(() => page.locator('#heads tr').count(), { timeout: 60_000 }).toBe(3);
    await page.getByRole('button', { name: 'Serve this one' }).click();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 60_000 }).toBe(`Now serving ${first}.`);
    expect(((await (await fetch(`${server.url}/healthz`)).json()) as { head: string }).head).toBe(first);
    await page.getByRole('img', { name: 'Accuracy across head versions' }).waitFor();

    await checkLayout(page, 'admin');
    expect(await axeViolations(page)).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });

  it('/: pick a photo and see its predictions, the time and which model answered', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    await page.goto(`${server.url}/`);
    await page.getByLabel(/Choose a photo/).setInputFiles(join(datasetPath('hymenoptera'), 'val', 'bees', readdirSync(join(datasetPath('hymenoptera'), 'val', 'bees')).sort()[0]));
    await expect.poll(() => page.locator('#bars li').count(), { timeout: 60_000 }).toBe(2);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { head: string; backbone: string };
    expect(await page.locator('#meta').textContent()).toMatch(new RegExp(`^Answered in \\d+ ms by head ${health.head} on backbone ${health.backbone}\\.$`));
    expect(await page.locator('#bars li').first().textContent()).toMatch(/^(ants|bees): \d+\.\d%$/);
    await checkLayout(page, 'try');
    expect(await axeViolations(page)).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });
});
