/** The named models over D1 (`models`, migration 0004): create, list, look up, delete, and which are due for training. */
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { deleteAllHeads } from '../shared/store/head-store.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { exampleKeys } from '../shared/store/model-keys.ts';
import { D1Lease, leaseName } from './training-lease.ts';

export interface ModelInfo {
  name: string;
  createdAt: string;
  /** the cron retrains the model when its last run is at least this old; null: at every cron tick */
  trainEveryMinutes: number | null;
}

interface ModelRow {
  name: string;
  created_at: string;
  train_every_minutes: number | null;
}

function toInfo(row: ModelRow): ModelInfo {
  return { name: row.name, createdAt: row.created_at, trainEveryMinutes: row.train_every_minutes };
}

const WITH_COUNTS = 'SELECT name, created_at, train_every_minutes, (SELECT COUNT(*) FROM examples e WHERE e.model = m.name) AS examples FROM models m';

/** A cron tick fires at about the same minute each time; a run that started this much later still counts as due. */
const SCHEDULE_SLACK_MS = 60_000;

/** R2 deletes take at most this many keys per call. */
const R2_DELETE_BATCH = 1000;

export class D1ModelRegistry {
  constructor(private readonly db: D1Database) {}

  async get(name: string): Promise<ModelInfo | null> {
    const row = await this.db.prepare('SELECT name, created_at, train_every_minutes FROM models WHERE name = ?').bind(name).first<ModelRow>();
    return row ? toInfo(row) : null;
  }

  /** @throws NotFoundError (404, `unknown_model`) */
  async require(name: string): Promise<ModelInfo> {
    const found = await this.get(name);
    if (!found) throw new NotFoundError(`no model ${JSON.stringify(name)}: create it with POST /v1/models {"name":"${name}"}; GET /v1/models lists them`, 'unknown_model');
    return found;
  }

  /** @throws NotFoundError (404, `unknown_model`) naming the first of `names` that does not exist */
  async requireAll(names: string[]): Promise<void> {
    const { results } = await this.db
      .prepare(`SELECT name FROM models WHERE name IN (${names.map(() => '?').join(', ')})`)
      .bind(...names)
      .all<{ name: string }>();
    const found = new Set(results.map((r) => r.name));
    const missing = names.find((n) => !found.has(n));
    if (missing !== undefined) await this.require(missing);
  }

  /** Every model with its example count, by name. */
  async list(): Promise<(ModelInfo & { examples: number })[]> {
    const { results } = await this.db.prepare(`${WITH_COUNTS} ORDER BY name`).all<ModelRow & { examples: number }>();
    return results.map((r) => ({ ...toInfo(r), examples: r.examples }));
  }

  /** One model with its example count. @throws NotFoundError (404, `unknown_model`) */
  async describe(name: string): Promise<ModelInfo & { examples: number }> {
    const row = await this.db.prepare(`${WITH_COUNTS} WHERE name = ?`).bind(name).first<ModelRow & { examples: number }>();
    if (!row) return { ...(await this.require(name)), examples: 0 };
    return { ...toInfo(row), examples: row.examples };
  }

  /** @throws ConflictError (409, `model_exists`) when the name is taken */
  async create(name: string, trainEveryMinutes: number | null, now: Date): Promise<ModelInfo> {
    const result = await this.db
      .prepare('INSERT INTO models (name, created_at, train_every_minutes) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING')
      .bind(name, now.toISOString(), trainEveryMinutes)
      .run();
    if (result.meta.changes === 0) throw new ConflictError(`model ${name} already exists`, 'model_exists');
    return { name, createdAt: now.toISOString(), trainEveryMinutes };
  }

  /** Changes a model's training schedule. @throws NotFoundError (404, `unknown_model`) */
  async setSchedule(name: string, trainEveryMinutes: number | null): Promise<ModelInfo> {
    await this.db.prepare('UPDATE models SET train_every_minutes = ? WHERE name = ?').bind(trainEveryMinutes, name).run();
    return this.require(name);
  }

  /**
   * Deletes a model and everything it owns: its heads (pointer first, so it stops serving), its example photos,
   * then in one D1 transaction its examples, suspects, runs, lease and the model row. A crash part-way leaves the
   * model listed, and deleting it again finishes the job.
   * @throws ConflictError (409) for `default` or while the model is training; NotFoundError (404) when unknown
   */
  async delete(name: string, stores: { kv: KvLike; bucket: R2Bucket }, now: Date): Promise<{ heads: number; examples: number }> {
    if (name === DEFAULT_MODEL) throw new ConflictError('the default model cannot be deleted (it is what the routes without a model name serve)', 'default_model');
    const { examples } = await this.describe(name);
    if (await new D1Lease(this.db, name).isHeld(now.getTime())) {
      throw new ConflictError(`model ${name} is training; delete it when the run has finished (GET /v1/models/${name}/runs)`, 'training_in_progress');
    }
    const heads = await deleteAllHeads(stores.kv, name);
    for (;;) {
      const page = await stores.bucket.list({ prefix: exampleKeys.prefix(name), limit: R2_DELETE_BATCH });
      if (page.objects.length > 0) await stores.bucket.delete(page.objects.map((o) => o.key));
      if (!page.truncated) break;
    }
    await this.db.batch([
      this.db.prepare('DELETE FROM examples WHERE model = ?').bind(name),
      this.db.prepare('DELETE FROM suspects WHERE model = ?').bind(name),
      this.db.prepare('DELETE FROM holdout_mistakes WHERE model = ?').bind(name),
      this.db.prepare('DELETE FROM runs WHERE model = ?').bind(name),
      this.db.prepare('DELETE FROM leases WHERE name = ?').bind(leaseName(name)),
      this.db.prepare('DELETE FROM models WHERE name = ?').bind(name),
    ]);
    return { heads, examples };
  }

  /** The models the cron should retrain now, by name: no schedule, no run yet, or the last run old enough. */
  async due(now: Date): Promise<string[]> {
    const { results } = await this.db
      .prepare('SELECT name, train_every_minutes, (SELECT MAX(started_at) FROM runs r WHERE r.model = m.name) AS last FROM models m ORDER BY name')
      .all<{ name: string; train_every_minutes: number | null; last: string | null }>();
    return results
      .filter((r) => r.train_every_minutes === null || r.last === null || now.getTime() - Date.parse(r.last) + SCHEDULE_SLACK_MS >= r.train_every_minutes * 60_000)
      .map((r) => r.name);
  }
}
