declare namespace Cloudflare {
  interface Env {
    /** test-only: the fixture pack built by test/helpers/fixture-pack.ts */
    FIXTURES: ArrayBuffer;
    /** test-only: migrations/ read by vitest.config.ts, applied by test/worker/apply-migrations.ts */
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
