/**
 * A typed client of the service: Hono's `hc` over the app's type, so every route's path, query, body and JSON
 * answer are checked by TypeScript. Types only come from the worker: at run time this is `hono/client` alone.
 *
 *   const api = createClient('https://edgehead.example.workers.dev', { headers: { authorization: `Bearer ${token}` } });
 *   const res = await api.v1.classify.$post({ query: { top_k: '3' } }, imageBody(bytes, 'image/jpeg'));
 *   if (res.ok) console.log((await res.json()).label);
 */
import { hc, type ClientRequestOptions } from 'hono/client';
import type { AppType } from './app.ts';

export type EdgeheadClient = ReturnType<typeof hc<AppType>>;

/** A client for the service at `baseUrl` (`options.headers` for the admin token, `options.fetch` for tests). */
export function createClient(baseUrl: string, options?: ClientRequestOptions): EdgeheadClient {
  return hc<AppType>(baseUrl, options);
}

/** The request options that send raw image bytes (classify, embed, examples take the image as the body). */
export function imageBody(bytes: Uint8Array | Blob, contentType: 'image/jpeg' | 'image/png' | 'image/webp' | 'application/octet-stream'): ClientRequestOptions {
  return { headers: { 'content-type': contentType }, init: { body: bytes as BodyInit } };
}
