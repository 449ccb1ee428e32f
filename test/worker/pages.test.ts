import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { evaluateHead } from '../../shared/head/metrics.ts';
import { trainHead } from '../../shared/head/train-head.ts';
import { publishHead } from '../../shared/store/head-store.ts';
import { embedSplit, importTinyBackbone } from './helpers.ts';
import { call, json } from './retrain-helpers.ts';

describe('web pages', () => {
  it('serves / as HTML with a file picker and a self-only Content-Security-Policy', async () => {
    const response = await call('GET', '/', { admin: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toMatch(/^<!DOCTYPE html>|^<html/i);
    expect(html).toContain('<input id="file" type="file"');
    expect(html).toContain('src="/assets/try.js"');
    // The model picker is filled server-side (listing models is admin-only) with default chosen.
    expect(html).toMatch(/<label for="model">Model<\/label>\s*<select id="model"><option value="default" selected="">default<\/option><\/select>/);
  });

  it('serves /admin with a field labelled "Admin token" and no data before the token is given', async () => {
    const response = await call('GET', '/admin', { admin: false });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await response.text();
    expect(html).toMatch(/<label for="token">Admin token<\/label>\s*<input id="token" type="password"/);
  });

  it('serves the scripts and the stylesheet with their types, and 404 JSON for an unknown asset', async () => {
    const script = await call('GET', '/assets/admin.js', { admin: false });
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain("sessionStorage.getItem('edgehead-token')");
    expect((await call('GET', '/assets/pages.css', { admin: false })).headers.get('content-type')).toContain('text/css');
    const missing = await call('GET', '/assets/nope.js', { admin: false });
    expect(missing.status).toBe(404);
    expect((await json(missing)).error.code).toBe('not_found');
  });
});

describe('GET /v1/heads/:version', () => {
  it('needs the admin token', async () => {
    const response = await call('GET', '/v1/heads/h-20261128T110000Z-0000abcd', { admin: false });
    expect(response.status).toBe(401);
  });

  it('answers 404 head_not_found for an unknown or malformed version', async () => {
    for (const version of ['h-20261128T110000Z-0000abcd', 'nope']) {
      const response = await call('GET', `/v1/heads/${version}`);
      expect(response.status).toBe(404);
      expect((await json(response)).error.code).toBe('head_not_found');
    }
  });

  it('returns the whole manifest with per-label metrics and the confusion matrix', async () => {
    const { manifest: backbone } = await importTinyBackbone();
    const { set } = await embedSplit('train');
    const { set: val } = await embedSplit('val');
    const { head } = trainHead(set, { seed: 7 });
    const metrics = evaluateHead(head, val);
    const published = await publishHead(env.MODELS, head, { backboneId: backbone.id, metrics, training: { by: 'pages test' } }, new Date('2026-11-28T11:00:00Z'));
    const response = await call('GET', `/v1/heads/${published.version}`);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.serving).toBe(true);
    expect(body.head.labels).toEqual(['ants', 'bees']);
    expect(body.head.metrics.perClass.map((m: { label: string }) => m.label)).toEqual(['ants', 'bees']);
    expect(body.head.metrics.confusion).toEqual(metrics.confusion);
    expect(body.head.metrics.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(val.labelIndex.length);
  });
});
