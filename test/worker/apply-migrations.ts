/** Gives every worker test file the D1 schema from migrations/ (the same files `wrangler d1 migrations apply` runs). */
import { applyD1Migrations, env } from 'cloudflare:test';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
