import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { buildWorkerFixturePack } from './test/helpers/fixture-pack.ts';

export default defineConfig({
  test: {
    // Two cores: the heavy files run one at a time so model timings and memory stay sane.
    fileParallelism: false,
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            wrangler: { configPath: './wrangler.toml' },
            main: './workers/index.ts',
            miniflare: {
              dataBlobBindings: { FIXTURES: buildWorkerFixturePack() },
              // TEST_MIGRATIONS: the D1 schema, applied by test/worker/apply-migrations.ts before each file.
              // RATE_LIMITER: the real binding, raised so the other files never meet it; RATE_LIMITER_LOW: the
              // same kind at 3 per minute for test/worker/rate-limit.test.ts.
              ratelimits: {
                RATE_LIMITER: { simple: { limit: 100_000, period: 60 } },
                RATE_LIMITER_LOW: { simple: { limit: 3, period: 60 } },
              },
              bindings: { MAX_IMAGE_BYTES: '4000000', ADMIN_TOKEN: 'test-admin-token', TEST_MIGRATIONS: await readD1Migrations('./migrations') },
            },
          })),
        ],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts'],
          setupFiles: ['./test/worker/apply-migrations.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
