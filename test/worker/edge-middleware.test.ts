import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../workers/app.ts';
import { clientKey } from '../../workers/rate-limit.ts';
import { runCron } from './retrain-helpers.ts';

const TOKEN = 'test-admin-token';

/** The worker's own app with some bindings replaced, fetched inside this isolate (the real runtime). */
async function fetchWith(request: Request, overrides: Partial<Env> = {}): Promise<Response> {
  const app = createApp();
  app.get('/test-boom', () => {
    throw new Error('database password hunter2 leaked in a stack');
  });
  const ctx = createExecutionContext();
  const response = await app.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

function captureLogs() {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  vi.spyOn(console, 'log').mockImplementation(record);
  vi.spyOn(console, 'error').mockImplementation(record);
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('request log', () => {
  it('writes one JSON line per request with id, method, route, status, duration and error code', async () => {
    const lines = captureLogs();
    const response = await exports.default.fetch(new Request('http://edgehead.test/v1/runs/abc?token=querysecret', { headers: { authorization: 'Bearer wrong-token-value' } }));
    expect(response.status).toBe(401);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual({ type: 'request', id, method: 'GET', route: '/v1/runs/:id', status: 401, ms: expect.any(Number), error: 'unauthorized' });
    expect(lines[0]).not.toContain('wrong-token-value');
    expect(lines[0]).not.toContain('querysecret');
  });

  it('takes the request id from cf-ray and never logs the Bearer token of a successful admin call', async () => {
    const lines = captureLogs();
    const response = await exports.default.fetch(
      new Request('http://edgehead.test/v1/runs', { headers: { authorization: `Bearer ${TOKEN}`, 'cf-ray': '8f1e2d3c4b5a6978-AMS' } }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('8f1e2d3c4b5a6978-AMS');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: '8f1e2d3c4b5a6978-AMS', method: 'GET', route: '/v1/runs', status: 200 });
    expect(JSON.parse(lines[0]!).error).toBeUndefined();
    expect(lines.join('\n')).not.toContain(TOKEN);
  });

  it('logs an unmatched path as route /* without its path', async () => {
    const lines = captureLogs();
    const response = await exports.default.fetch(new Request('http://edgehead.test/secret-looking-path/123'));
    expect(response.status).toBe(404);
    expect(JSON.parse(lines[0]!)).toMatchObject({ route: '/*', status: 404, error: 'not_found' });
    expect(lines[0]).not.toContain('secret-looking-path');
  });

  it('does not trust a cf-ray that is not a ray id', async () => {
    captureLogs();
    const response = await exports.default.fetch(new Request('http://edgehead.test/healthz', { headers: { 'cf-ray': '"},{"forged":1' } }));
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs a 500 in full on the server side and sends none of it', async () => {
    const lines = captureLogs();
    const response = await fetchWith(new Request('http://edgehead.test/test-boom', { headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toContain('hunter2');
    expect(JSON.parse(body)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    const entries = lines.map((l) => JSON.parse(l));
    const id = response.headers.get('x-request-id');
    expect(entries.find((e) => e.type === 'error')).toMatchObject({ id, message: 'database password hunter2 leaked in a stack' });
    expect(entries.find((e) => e.type === 'request')).toMatchObject({ id, status: 500, error: 'internal_error', route: '/test-boom' });
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    new Request('http://edgehead.test/v1/classify', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });

  it('sends no CORS headers by default (same origin only)', async () => {
    captureLogs();
    const response = await exports.default.fetch(new Request('http://edgehead.test/healthz', { headers: { origin: 'https://a.example' } }));
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const options = await exports.default.fetch(preflight('https://a.example'));
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers the preflight of a listed origin and grants it; refuses an unlisted one', async () => {
    captureLogs();
    const vars = { CORS_ORIGINS: 'https://a.example, https://b.example' };
    const ok = await fetchWith(preflight('https://b.example'), vars);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://b.example');
    expect(ok.headers.get('access-control-allow-methods')).toContain('POST');
    expect(ok.headers.get('access-control-allow-headers')).toContain('content-type');
    const get = await fetchWith(new Request('http://edgehead.test/healthz', { headers: { origin: 'https://a.example' } }), vars);
    expect(get.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(get.headers.get('access-control-expose-headers')).toContain('x-request-id');
    const refused = await fetchWith(preflight('https://evil.example'), vars);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const refusedGet = await fetchWith(new Request('http://edgehead.test/healthz', { headers: { origin: 'https://evil.example' } }), vars);
    expect(refusedGet.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants any origin only when CORS_ORIGINS is *', async () => {
    captureLogs();
    const response = await fetchWith(new Request('http://edgehead.test/healthz', { headers: { origin: 'https://z.example' } }), { CORS_ORIGINS: '*' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('rate limiting (the real binding, 3 per minute)', () => {
  const low = () => ({ RATE_LIMITER: env.RATE_LIMITER_LOW });
  const fromClient = (ip: string, headers: Record<string, string> = {}) =>
    new Request('http://edgehead.test/v1/model', { headers: { 'cf-connecting-ip': ip, ...headers } });

  it('answers 429 rate_limited with Retry-After once a client is over the limit, per client', async () => {
    const lines = captureLogs();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetchWith(fromClient('203.0.113.7'), low())).status);
    expect(statuses.slice(0, 3)).not.toContain(429);
    expect(statuses[3]).toBe(429);
    const limited = await fetchWith(fromClient('203.0.113.7'), low());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    const body = (await limited.json()) as { error: { code: string; message: string } };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.code).toBe('rate_limited');
    expect(body.error.message).toContain('retry after 60 s');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ status: 429, error: 'rate_limited', route: '/v1/model' });
    // another client is not affected
    expect((await fetchWith(fromClient('198.51.100.20'), low())).status).not.toBe(429);
  });

  it('limits an IPv6 client by its /64 and a wrong token like no token; the admin token is not limited', async () => {
    captureLogs();
    const statuses: number[] = [];
    for (const host of ['1', '2', '3', '4']) statuses.push((await fetchWith(fromClient(`2001:db8:1:2::${host}`), low())).status);
    expect(statuses[3]).toBe(429);
    expect((await fetchWith(fromClient('2001:db8:1:2:ffff::9', { authorization: 'Bearer nope' }), low())).status).toBe(429);
    const admin = await fetchWith(new Request('http://edgehead.test/v1/runs', { headers: { 'cf-connecting-ip': '2001:db8:1:2::5', authorization: `Bearer ${TOKEN}` } }), low());
    expect(admin.status).toBe(200);
  });
});

describe('labels refused with the code point named', () => {
  const admin = { authorization: `Bearer ${TOKEN}` };

  it('POST /v1/examples?label= with a bidi override is 400 invalid_label', async () => {
    captureLogs();
    const response = await exports.default.fetch(
      new Request(`http://edgehead.test/v1/examples?label=${encodeURIComponent('bees\u202e')}`, { method: 'POST', body: new Uint8Array([0xff, 0xd8, 0xff]), headers: { ...admin, 'content-type': 'image/jpeg' } }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_label');
    expect(body.error.message).toContain('U+202E');
    expect(body.error.message).toContain('letters, digits');
  });

  it('PATCH /v1/examples/:id with a zero-width joiner is 400 invalid_label', async () => {
    captureLogs();
    const response = await exports.default.fetch(
      new Request(`http://edgehead.test/v1/examples/${'a'.repeat(64)}`, { method: 'PATCH', body: JSON.stringify({ label: 'be\u200des' }), headers: { ...admin, 'content-type': 'application/json' } }),
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_label');
    expect(body.error.message).toContain('U+200D');
  });
});

describe('cron log', () => {
  it('writes one JSON line per cron run with the run id, status, reason and duration', async () => {
    const lines = captureLogs();
    const run = await runCron();
    const cron = lines.map((l) => JSON.parse(l)).filter((e) => e.type === 'cron');
    expect(cron).toEqual([{ type: 'cron', cron: '0 * * * *', model: 'default', run: run.id, status: run.status, reason: run.reason, ms: expect.any(Number) }]);
    expect(run.reason?.length).toBeGreaterThan(0);
  });
});

describe('clientKey', () => {
  const request = (ip?: string) => new Request('http://x.test/', { headers: ip ? { 'cf-connecting-ip': ip } : {} });
  it('keys IPv4 by address, IPv6 by /64, and no header as one local client', () => {
    expect(clientKey(request('203.0.113.7'))).toBe('203.0.113.7');
    expect(clientKey(request('2001:db8:1:2:aaaa::1'))).toBe(clientKey(request('2001:db8:1:2:bbbb::9')));
    expect(clientKey(request('2001:db8:1:2:aaaa::1'))).not.toBe(clientKey(request('2001:db8:1:3::1')));
    expect(clientKey(request())).toBe('local');
  });
});
