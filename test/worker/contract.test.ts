/** The published contract: /openapi.json covers every API route, /docs renders it, and the typed client drives the service. */
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app.ts';
import { createClient, imageBody } from '../../workers/client.ts';
import { pageRoutes } from '../../workers/pages/page-routes.tsx';
import { fixture, fixtureNames } from './fixtures.ts';
import { publishTrainedHead } from './helpers.ts';

const BASE = 'http://edgehead.test';
const TOKEN = 'test-admin-token';
const workerFetch = (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(new Request(input, init));

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
}

async function served(): Promise<OpenApiDoc> {
  const response = await workerFetch(`${BASE}/openapi.json`);
  expect(response.status).toBe(200);
  return (await response.json()) as OpenApiDoc;
}

describe('GET /openapi.json', () => {
  it('documents every route the app serves, with its method, except the HTML pages and their assets', async () => {
    const doc = await served();
    expect(doc.openapi).toBe('3.1.0');
    const pages = new Set(pageRoutes.routes.map((r) => r.path));
    const routes = createApp()
      .routes.filter((r) => r.method !== 'ALL' && !pages.has(r.path))
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method} ${path}`));
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect([...new Set(routes)].sort()).toEqual([...documented].sort());
  });

  it('documents every per-model route at /v1 and under /v1/models/{name}, declaring the name parameter', async () => {
    const doc = await served();
    const perModel = Object.keys(doc.paths).filter((p) => p.startsWith('/v1/models/{name}/'));
    expect(perModel).toContain('/v1/models/{name}/examples');
    expect(perModel).toContain('/v1/models/{name}/heads/rollback');
    for (const path of perModel) {
      expect(Object.keys(doc.paths[path])).toEqual(Object.keys(doc.paths[path.replace('/models/{name}', '')]));
      for (const op of Object.values(doc.paths[path])) expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'name', in: 'path', required: true }));
    }
    expect(doc.paths['/v1/labels'].get.parameters).toBeUndefined();
    expect(Object.keys(doc.paths['/v1/models/{name}'])).toEqual(['get', 'patch', 'delete']);
  });

  it('marks the admin routes with the bearer scheme and documents 429 everywhere', async () => {
    const doc = await served();
    expect(doc.paths['/v1/train'].post.security).toEqual([{ adminToken: [] }]);
    expect(doc.paths['/v1/classify'].post.security).toBeUndefined();
    for (const item of Object.values(doc.paths)) for (const op of Object.values(item)) expect(op.responses).toHaveProperty('429');
  });
});

describe('validation failures', () => {
  const admin = { authorization: `Bearer ${TOKEN}` };

  it('answer 400 in the one error shape, naming the field', async () => {
    const runs = await workerFetch(`${BASE}/v1/runs?limit=1000`, { headers: admin });
    expect(runs.status).toBe(400);
    expect(await runs.json()).toEqual({ error: { code: 'invalid_limit', message: 'limit: must be an integer from 1 to 100' } });
    const patch = await workerFetch(`${BASE}/v1/examples/${'0'.repeat(64)}`, { method: 'PATCH', headers: { ...admin, 'content-type': 'application/json' }, body: '[1]' });
    expect(patch.status).toBe(400);
    const body = (await patch.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(/^body json: .*expected object/);
    const label = await workerFetch(`${BASE}/v1/examples/${'0'.repeat(64)}`, { method: 'PATCH', headers: { ...admin, 'content-type': 'application/json' }, body: '{}' });
    expect(await label.json()).toEqual({ error: { code: 'invalid_label', message: 'body label: Invalid input: expected string, received undefined' } });
  });
});

describe('GET /docs', () => {
  it('renders every documented operation as HTML from the worker itself', async () => {
    const [doc, response] = await Promise.all([served(), workerFetch(`${BASE}/docs`)]);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await response.text();
    for (const [path, item] of Object.entries(doc.paths)) for (const method of Object.keys(item)) expect(html).toContain(`${method.toUpperCase()} ${path}`);
    expect(html).toContain('{ label: string | null; score: number; threshold: number;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!edgehead)/);
  });
});

describe('the typed client (hc over AppType)', () => {
  const api = createClient(BASE, { fetch: workerFetch });
  const adminApi = createClient(BASE, { fetch: workerFetch, headers: { authorization: `Bearer ${TOKEN}` } });

  beforeAll(async () => {
    await publishTrainedHead();
  });

  it('classifies a photo, with Server-Timing matching timing_ms and a request id', async () => {
    const name = fixtureNames('hymenoptera/val/bees/')[0];
    const response = await api.v1.classify.$post({ query: { top_k: '1' } }, imageBody(fixture(name), 'image/jpeg'));
    expect(response.status).toBe(200);
    if (!response.ok) throw new Error('unreachable');
    const body = await response.json();
    if ('models' in body) throw new Error('one model answers in the single-model shape');
    expect(body.predictions).toHaveLength(1);
    expect(['ants', 'bees']).toContain(body.predictions[0].label);
    const timing = Object.fromEntries(
      response.headers.get('server-timing')!.split(', ').map((entry) => {
        const [name, dur] = entry.split(';dur=');
        return [name, Number(dur)];
      }),
    );
    expect(timing).toEqual(body.timing_ms);
    expect(Object.keys(timing)).toEqual(['load', 'decode', 'resize', 'forward', 'head', 'total']);
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads the health of the service', async () => {
    const response = await api.healthz.$get();
    if (!response.ok) throw new Error(`expected 200, got ${response.status}`);
    const body = await response.json();
    expect(body).toMatchObject({ ok: true, backend: 'wasm' });
    expect(body.head).toMatch(/^h-/);
  });

  it('makes admin calls with the token, and gets the error shape without it', async () => {
    const heads = await adminApi.v1.heads.$get();
    expect(heads.status).toBe(200);
    if (!heads.ok) throw new Error('unreachable');
    const list = await heads.json();
    expect(list.heads[0]).toMatchObject({ version: list.serving, serving: true, labels: ['ants', 'bees'] });
    const one = await adminApi.v1.heads[':version'].$get({ param: { version: list.serving! } });
    if (!one.ok) throw new Error(`expected 200, got ${one.status}`);
    expect((await one.json()).head.labels).toEqual(['ants', 'bees']);
    const refused = await api.v1.heads.$get();
    expect(refused.status).toBe(401);
    if (refused.status === 401) expect((await refused.json()).error.code).toBe('unauthorized');
  });

  it('reaches a named model: /v1/models CRUD and its per-model routes, typed', async () => {
    const created = await adminApi.v1.models.$post({ json: { name: 'birds', trainEveryMinutes: 60 } });
    expect(created.status).toBe(201);
    const labels = await adminApi.v1.models[':name'].labels.$get({ param: { name: 'birds' } });
    if (!labels.ok) throw new Error(`expected 200, got ${labels.status}`);
    expect(await labels.json()).toEqual({ labels: [], total: 0 });
    const listed = await adminApi.v1.models.$get();
    if (!listed.ok) throw new Error(`expected 200, got ${listed.status}`);
    expect((await listed.json()).models.map((m) => m.name)).toEqual(['birds', 'default']);
  });
});
