/** Migration 0004 on a database that holds data from before named models: everything becomes the default model's. */
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';

async function runMigration(name: string): Promise<void> {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name === name);
  if (!migration) throw new Error(`no migration ${name}`);
  await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));
}

it('moves every example, embedding, run, suspect and the change counter to the default model, losing nothing', async () => {
  // Back to an empty database, then the schema as it was before 0004.
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{ name: string }>();
  for (const { name } of results) await env.DB.prepare(`DROP TABLE "${name}"`).run();
  for (const name of ['0001_examples_runs.sql', '0002_compact_embeddings_change_version.sql', '0003_suspect_labels.sql']) await runMigration(name);

  const id = 'a'.repeat(64);
  const legacy = 'b'.repeat(64);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO examples (id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped, embedding_q8, embedding_flipped_q8, created_at, updated_at)
       VALUES (?, 'ants', 'image/jpeg', 10, 2, 3, 'bb-1', x'', x'', 'q8plain', 'q8flip', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z')`,
    ).bind(id),
    env.DB.prepare(
      `INSERT INTO examples (id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped, created_at, updated_at)
       VALUES (?, 'bees', 'image/png', 20, 4, 5, 'bb-0', x'0000803f', x'00000040', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    ).bind(legacy),
    env.DB.prepare("INSERT INTO runs (id, trigger, started_at, status, fingerprint) VALUES ('run-1', 'cron', '2026-01-03T00:00:00Z', 'published', 'fp')"),
    env.DB.prepare("INSERT INTO suspects (example_id, run_id, given_label, label, score) VALUES (?, 'run-1', 'ants', 'bees', 0.9)").bind(id),
    env.DB.prepare("INSERT INTO leases (name, owner, expires_at) VALUES ('training', 'run-1', 1)"),
  ]);
  const before = await env.DB.prepare('SELECT version FROM example_version').first<{ version: number }>();
  expect(before!.version).toBe(2);

  await runMigration('0004_named_models.sql');

  const rows = await env.DB.prepare('SELECT * FROM examples ORDER BY id').all<Record<string, unknown>>();
  expect(rows.results.map((r) => [r.model, r.id, r.label, r.backbone_id, r.embedding_q8, r.created_at, r.updated_at])).toEqual([
    ['default', id, 'ants', 'bb-1', 'q8plain', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
    ['default', legacy, 'bees', 'bb-0', null, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
  ]);
  const blob = await env.DB.prepare('SELECT hex(embedding) AS plain, hex(embedding_flipped) AS flipped FROM examples WHERE id = ?').bind(legacy).first();
  expect(blob).toEqual({ plain: '0000803F', flipped: '00000040' });
  expect(await env.DB.prepare('SELECT name, example_version FROM models').all().then((r) => r.results)).toEqual([{ name: 'default', example_version: 2 }]);
  expect(await env.DB.prepare('SELECT model, id, fingerprint FROM runs').first()).toEqual({ model: 'default', id: 'run-1', fingerprint: 'fp' });
  expect(await env.DB.prepare('SELECT model, example_id, score FROM suspects').first()).toEqual({ model: 'default', example_id: id, score: 0.9 });
  expect(await env.DB.prepare('SELECT name FROM leases').first()).toEqual({ name: 'training' });

  // The triggers now count per model and clear suspects per model.
  await env.DB.prepare("INSERT INTO models (name, created_at) VALUES ('birds', 'now')").run();
  await env.DB.prepare("UPDATE examples SET label = 'bees' WHERE model = 'default' AND id = ?").bind(id).run();
  const versions = await env.DB.prepare('SELECT name, example_version FROM models ORDER BY name').all();
  expect(versions.results).toEqual([{ name: 'birds', example_version: 0 }, { name: 'default', example_version: 3 }]);
  expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM suspects').first<{ n: number }>())!.n).toBe(0);
});
