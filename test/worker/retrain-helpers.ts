/** HTTP helpers for the retraining tests: admin requests, ingesting fixture photos, running the cron handler. */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { expect } from 'vitest';
import type { RunRecord } from '../../shared/training/run-record.ts';
import worker from '../../workers/index.ts';
import { fixture } from './fixtures.ts';

export const ADMIN = { authorization: 'Bearer test-admin-token' };

export const fetchWorker = (request: Request) => exports.default.fetch(request);

export function call(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string>; admin?: boolean } = {}): Promise<Response> {
  const headers = { ...(init.admin === false ? {} : ADMIN), ...init.headers };
  return fetchWorker(new Request(`http://edgehead.test${path}`, { method, body: init.body, headers }));
}

export async function json<T = Record<string, any>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Ingests fixture photos under `label` (raw bodies with ?label=); returns the example ids. */
export async function ingest(names: string[], label: string, expectStatus = 201): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const response = await call('POST', `/v1/examples?label=${encodeURIComponent(label)}`, { body: fixture(name), headers: { 'content-type': 'image/jpeg' } });
    const body = await json(response);
    expect(response.status, JSON.stringify(body)).toBe(expectStatus);
    ids.push(body.example.id);
  }
  return ids;
}

/** Runs the cron handler to completion, as the runtime would; returns the newest recorded run. */
export async function runCron(): Promise<RunRecord> {
  const ctx = createExecutionContext();
  worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: '0 * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
  return (await runs())[0];
}

export async function runs(): Promise<RunRecord[]> {
  const response = await call('GET', '/v1/runs?limit=100');
  expect(response.status).toBe(200);
  return (await json<{ runs: RunRecord[] }>(response)).runs;
}

export async function serving(): Promise<string | null> {
  return (await json<{ serving: string | null }>(await call('GET', '/v1/heads'))).serving;
}

export async function classify(name: string): Promise<{ label: string; head: string }> {
  const response = await call('POST', '/v1/classify', { body: fixture(name), headers: { 'content-type': 'image/jpeg' }, admin: false });
  const body = await json(response);
  expect(response.status, JSON.stringify(body)).toBe(200);
  return { label: body.predictions[0].label, head: body.model.head };
}
