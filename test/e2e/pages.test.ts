import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../shared/config.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { isHoldout } from '../../shared/training/holdout.ts';
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

/** Drops files on an element as a user dragging them from the desktop would (a DataTransfer built in the page). */
async function dropFiles(page: Page, selector: string, paths: readonly string[]) {
  const files = paths.map((p) => ({ name: p.split('/').pop()!, type: 'image/jpeg', base64: readFileSync(p).toString('base64') }));
  const transfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const f of list) data.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    return data;
  }, files);
  await page.dispatchEvent(selector, 'drop', { dataTransfer: transfer });
}

/** axe-core's serious and critical violations (its source is evaluated over CDP: the CSP refuses inline scripts). */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => (await (globalThis as any).axe.run()) as { violations: { id: string; impact: string; nodes: { html: string }[] }[] });
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.html).join(' ')}`);
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

  it('/admin: token, photos for two labels, Train, the new version, its charts and mistakes, rename a label, roll back', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    const token = readDevVarsToken()!;
    const admin = async (path: string) => (await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#admin').waitFor({ state: 'visible' });
    await page.locator('#token-form').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.cookie)).toBe('');

    // Two bee photos of the holdout go in as "ants": the head must get them wrong, so the mistakes section has them.
    const mislabelled = (await Promise.all(photos('bees', 40).slice(12).map(async (f) => ({ f, held: isHoldout(await sha256Hex(readFileSync(f)), DEFAULT_CONFIG.trainHoldoutPercent) })))).filter((p) => p.held).slice(0, 2).map((p) => p.f);
    expect(mislabelled).toHaveLength(2);
    // Ants through the file picker, bees dropped on the form all at once.
    for (const [label, files] of [['ants', [...photos('ants', 12), ...mislabelled]], ['bees', photos('bees', 12)]] as const) {
      await page.getByLabel('Label', { exact: true }).fill(label);
      if (label === 'ants') {
        await page.getByLabel('Photos', { exact: true }).setInputFiles([...files]);
        await page.getByRole('button', { name: 'Add photos' }).click();
      } else await dropFiles(page, '#upload-form', files);
      await expect.poll(() => page.locator('#message').textContent(), { timeout: 60_000 }).toBe(`Added ${files.length} of ${files.length} photos to ${label}.`);
      await page.getByRole('heading', { name: `${label} (${files.length})` }).waitFor();
    }
    await page.locator('.thumbs img[src^="blob:"]').first().waitFor();
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('12');
    const bees = page.getByRole('heading', { name: 'bees (12)' }).locator('..');
    expect(await bees.locator('figure').count()).toBe(8);
    await bees.getByRole('button', { name: 'Show all 12 bees photos' }).click();
    await expect.poll(() => bees.locator('figure').count()).toBe(12);

    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 120_000 }).toMatch(/^Run published\b.*\(new version h-/);
    const first = /new version (h-\S+)\)/.exec((await page.locator('#train-status').textContent())!)![1];
    await page.getByRole('heading', { name: `Head ${first} (serving)` }).waitFor();
    expect(await page.getByRole('img', { name: /Confusion matrix/ }).locator('rect').count()).toBe(4);
    expect(await page.getByRole('img', { name: 'Precision and recall per label' }).locator('rect').count()).toBe(4);
    await expect.poll(() => page.locator('#runs tr').count(), { timeout: 60_000 }).toBe(2);
    expect(await page.locator('#runs td').nth(2).textContent()).toBe('published');

    // The mistakes section shows what the API recorded, the mislabelled bees among them, as thumbnails.
    const { mistakes } = await admin(`/v1/heads/${first}/mistakes`);
    expect(mistakes.length).toBeGreaterThanOrEqual(2);
    await page.getByRole('heading', { name: `Holdout photos it gets wrong (${mistakes.length})` }).waitFor();
    const figures = page.locator('.mistakes figure');
    expect(await figures.count()).toBe(mistakes.length);
    const bee = figures.filter({ hasText: 'true: ants' }).filter({ hasText: 'predicted: bees' }).first();
    await bee.locator('img[src^="blob:"]').waitFor();
    // One click fixes the label; the photo then shows as relabelled.
    await bee.getByRole('button', { name: 'Relabel as bees' }).click();
    await page.getByRole('heading', { name: 'bees (13)' }).waitFor();
    await page.locator('.mistakes figure', { hasText: 'now labelled bees' }).first().waitFor();

    // Rename a label (every photo moves), train a second version, then roll back to the first.
    page.once('dialog', (dialog) => dialog.accept('fourmis'));
    await page.getByRole('button', { name: 'Rename label ants' }).click();
    await page.getByRole('heading', { name: 'fourmis (13)' }).waitFor();
    expect(await page.getByRole('heading', { name: /^ants / }).count()).toBe(0);
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 120_000 }).toMatch(/^Run (?!is)/);
    const status = (await page.locator('#train-status').textContent())!;
    expect(status, status).toMatch(/^Run published/);
    await expect.poll(() => page.locator('#heads tr').count(), { timeout: 60_000 }).toBe(3);
    expect(await page.locator('#heads tr').nth(1).textContent()).toContain('bees, fourmis');
    await page.getByRole('button', { name: 'Roll back to this one' }).click();
    await expect.poll(() => page.locator('#message').textContent(), { timeout: 60_000 }).toBe(`Now serving ${first}.`);
    expect(((await (await fetch(`${server.url}/healthz`)).json()) as { head: string }).head).toBe(first);
    await page.getByRole('img', { name: 'Accuracy across head versions' }).locator('circle').nth(1).waitFor();

    await checkLayout(page, 'admin');
    expect(await axeViolations(page)).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });

  it('/: pick a photo and see its predictions, the time and which model answered', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    await page.goto(`${server.url}/`);
    // Keyboard: the model picker, then the file picker, are reachable with Tab from the top of the page.
    for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement?.id)) !== 'file'; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('file');
    // No layout jump while waiting: the status line and the answer's box stay where they were before the photo.
    const boxes = () => page.evaluate(() => ['status', 'result'].map((id) => { const r = document.getElementById(id)!.getBoundingClientRect(); return [r.top, r.left, r.width]; }));
    const before = await boxes();
    await page.getByLabel(/Choose a photo/).setInputFiles(join(datasetPath('hymenoptera'), 'val', 'bees', readdirSync(join(datasetPath('hymenoptera'), 'val', 'bees')).sort()[0]));
    await expect.poll(() => page.locator('#bars li').count(), { timeout: 60_000 }).toBe(2);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { head: string; backbone: string };
    expect(await page.locator('#meta').textContent()).toMatch(new RegExp(`^Answered in \\d+ ms by model default, head ${health.head} on backbone ${health.backbone}\\.$`));
    expect(await page.locator('#bars li').first().textContent()).toMatch(/^(ants|bees): \d+\.\d%$/);
    expect(await boxes()).toEqual(before);
    await checkLayout(page, 'try');
    expect(await axeViolations(page)).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });

  it('named models: create birds on /admin, teach and train it apart from default, then ask it on /', async () => {
    const page = await browser.newPage();
    const seen = watch(page, server.url);
    const message = () => page.locator('#message').textContent();
    await page.goto(`${server.url}/admin`);
    await page.getByLabel('Admin token').fill(readDevVarsToken()!);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('#admin').waitFor({ state: 'visible' });
    expect(await page.getByRole('button', { name: 'Delete model' }).isHidden()).toBe(true);

    // The name rule in plain words; a model made and deleted (after confirming) leaves the picker as it was.
    await page.getByLabel('New model name').fill('Birds!');
    await page.getByRole('button', { name: 'Create model' }).click();
    await expect.poll(message).toMatch(/^A model name is 1 to 32 lowercase letters/);
    await page.getByLabel('New model name').fill('scratch');
    await page.getByRole('button', { name: 'Create model' }).click();
    await expect.poll(message).toBe('Created model scratch.');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Delete model' }).click();
    await expect.poll(message).toBe('Deleted model scratch.');
    expect(await page.getByLabel('Model', { exact: true }).locator('option').allTextContents()).toEqual(['default']);

    await page.getByLabel('New model name').fill('birds');
    await page.getByRole('button', { name: 'Create model' }).click();
    await expect.poll(message).toBe('Created model birds.');
    expect(new URL(page.url()).search).toBe('?model=birds');
    for (const [label, files] of [['sparrow', photos('ants', 12)], ['robin', photos('bees', 12)]] as const) {
      await page.getByLabel('Label', { exact: true }).fill(label);
      await page.getByLabel('Photos', { exact: true }).setInputFiles([...files]);
      await page.getByRole('button', { name: 'Add photos' }).click();
      await expect.poll(message, { timeout: 60_000 }).toBe(`Added 12 of 12 photos to ${label}.`);
    }
    await page.getByRole('button', { name: 'Train' }).click();
    await expect.poll(() => page.locator('#train-status').textContent(), { timeout: 120_000 }).toMatch(/^Run published\b.*\(new version h-/);
    const version = /new version (h-\S+)\)/.exec((await page.locator('#train-status').textContent())!)![1];
    // A reload keeps the model (it is in the URL) and shows its own labels and head.
    await page.reload();
    await page.getByRole('heading', { name: `Head ${version} (serving)` }).waitFor();
    await page.getByRole('heading', { name: 'robin (12)' }).waitFor();
    expect(await page.getByLabel('Model', { exact: true }).inputValue()).toBe('birds');
    expect(await page.getByRole('heading', { name: /^(bees|fourmis) / }).count()).toBe(0);
    await checkLayout(page, 'admin-birds');
    expect(await axeViolations(page)).toEqual([]);
    // default's labels are untouched by what birds was taught.
    await page.getByLabel('Model', { exact: true }).selectOption('default');
    await page.getByRole('heading', { name: 'bees (13)' }).waitFor();
    expect(await page.getByRole('heading', { name: /^(sparrow|robin) / }).count()).toBe(0);
    expect(new URL(page.url()).search).toBe('');

    await page.goto(`${server.url}/`);
    await page.getByLabel('Model', { exact: true }).selectOption('birds');
    await page.getByLabel(/Choose a photo/).setInputFiles(join(datasetPath('hymenoptera'), 'val', 'ants', readdirSync(join(datasetPath('hymenoptera'), 'val', 'ants')).sort()[0]));
    await expect.poll(() => page.locator('#meta').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^Answered in \\d+ ms by model birds, head ${version} on backbone `));
    expect(await page.locator('#bars li').first().textContent()).toMatch(/^(sparrow|robin): \d+\.\d%$/);
    expect(await axeViolations(page)).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.outside).toEqual([]);
  });
});
