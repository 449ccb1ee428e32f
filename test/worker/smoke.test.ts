import { exports } from 'cloudflare:workers';
import { expect, it } from 'vitest';

it('starts wasm simd', async () => {
  const res = await exports.default.fetch('http://x/');
  const body = await res.json();
  console.log(body);
  expect(body).toMatchObject({ backend: 'wasm', simd: true });
});
