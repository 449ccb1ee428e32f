declare namespace Cloudflare {
  interface Env {
    /** test-only: the fixture pack built by test/helpers/fixture-pack.ts */
    FIXTURES: ArrayBuffer;
    /** test-only: migrations/ read by vitest.config.ts, applied by test/worker/apply-migrations.ts */
    /** test-only: a rate limiter of 3 per minute (vitest.config.ts) for test/worker/rate-limit.test.ts */
    RATE_LIMITER_LOW: RateLimit;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
