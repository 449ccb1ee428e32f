/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, the token a wrangler secret (locally `.dev.vars`). */
import { createMiddleware } from 'hono/factory';
import { UnauthorizedError } from '../shared/errors.ts';
import { sha256 } from '../shared/hash.ts';
import type { AppEnv } from './app-env.ts';

/**
 * Compares in constant time: both sides are hashed to 32 bytes first, so neither the position of the first
 * difference nor the token's length shows in the timing.
 */
export async function tokensEqual(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256(given), sha256(expected)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Refuses with 401 JSON unless the request carries the admin token; the token itself is never logged or echoed. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.env.ADMIN_TOKEN;
  if (!expected) {
    throw new UnauthorizedError('admin routes are disabled: no ADMIN_TOKEN is set (wrangler secret put ADMIN_TOKEN; locally .dev.vars)', 'admin_disabled');
  }
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new UnauthorizedError('this route needs an admin token: send "Authorization: Bearer <ADMIN_TOKEN>"', 'unauthorized');
  if (!(await tokensEqual(match[1], expected))) throw new UnauthorizedError('the admin token is wrong', 'unauthorized');
  await next();
});
