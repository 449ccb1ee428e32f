/**
 * Per-client rate limiting with the Workers rate-limiting binding (`[[ratelimits]]` RATE_LIMITER in
 * wrangler.toml: the limit and period live there). Every request is counted against its client except those
 * carrying the valid admin token: the operator's own pushes and training calls are not throttled, while a
 * wrong or missing token is counted like any anonymous request, so guessing tokens is throttled too.
 */
import { createMiddleware } from 'hono/factory';
import { EdgeheadError } from '../shared/errors.ts';
import type { AppEnv } from './app-env.ts';
import { tokensEqual } from './auth.ts';

export class RateLimitedError extends EdgeheadError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', 'rate_limited', `too many requests from this client; at most the limit set in the RATE_LIMITER binding per ${retryAfterSeconds} s is accepted: retry after ${retryAfterSeconds} s`);
  }
}

/**
 * The client's key: CF-Connecting-IP (set by Cloudflare, not forgeable behind it); an IPv6 address by its /64,
 * the block one customer usually holds. Without the header (local tools that bypass wrangler dev) one shared key.
 */
export function clientKey(request: Request): string {
  const ip = request.headers.get('cf-connecting-ip')?.trim();
  if (!ip) return 'local';
  if (!ip.includes(':')) return ip;
  const groups = ip.toLowerCase().split('::')[0]!.split(':');
  return `${groups.slice(0, 4).join(':')}::/64`;
}

async function hasAdminToken(authorization: string | undefined, expected: string | undefined): Promise<boolean> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return !!expected && !!match && (await tokensEqual(match[1]!, expected));
}

export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const limiter = c.get('config').rateLimitEnabled ? c.env.RATE_LIMITER : undefined;
  if (limiter && !(await hasAdminToken(c.req.header('authorization'), c.env.ADMIN_TOKEN))) {
    const { success } = await limiter.limit({ key: clientKey(c.req.raw) });
    if (!success) {
      const period = c.get('config').rateLimitPeriodSeconds;
      c.header('retry-after', String(period));
      throw new RateLimitedError(period);
    }
  }
  await next();
});
