/** The run log and the training lease of one model over D1. Implements the core's `RunLog` and `TrainingLease`. */
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { RunLog, RunRecord, TrainingLease } from '../shared/training/training-job.ts';

interface RunRow {
  id: string;
  trigger: 'cron' | 'manual';
  started_at: string;
  finished_at: string | null;
  status: RunRecord['status'];
  reason: string | null;
  examples_train: number | null;
  examples_holdout: number | null;
  re_embedded: number;
  backbone_forwards: number;
  serving_version: string | null;
  published_version: string | null;
  fingerprint: string | null;
  details: string | null;
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    status: row.status,
    reason: row.reason,
    examplesTrain: row.examples_train,
    examplesHoldout: row.examples_holdout,
    reEmbedded: row.re_embedded,
    backboneForwards: row.backbone_forwards,
    servingVersion: row.serving_version,
    publishedVersion: row.published_version,
    fingerprint: row.fingerprint,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : {},
  };
}

/** One model's runs: every query is scoped to `model`. */
export class D1RunLog implements RunLog {
  constructor(
    private readonly db: D1Database,
    private readonly model: string = DEFAULT_MODEL,
  ) {}

  async start(run: RunRecord): Promise<void> {
    await this.db
      .prepare('INSERT INTO runs (id, model, trigger, started_at, status) VALUES (?, ?, ?, ?, ?)')
      .bind(run.id, this.model, run.trigger, run.startedAt, run.status)
      .run();
  }

  async finish(run: RunRecord): Promise<void> {
    await this.db
      .prepare(
        `UPDATE runs SET finished_at = ?, status = ?, reason = ?, examples_train = ?, examples_holdout = ?, re_embedded = ?,
           backbone_forwards = ?, serving_version = ?, published_version = ?, fingerprint = ?, details = ? WHERE id = ?`,
      )
      .bind(
        run.finishedAt,
        run.status,
        run.reason,
        run.examplesTrain,
        run.examplesHoldout,
        run.reEmbedded,
        run.backboneForwards,
        run.servingVersion,
        run.publishedVersion,
        run.fingerprint,
        JSON.stringify(run.details),
        run.id,
      )
      .run();
  }

  async abandonOthers(exceptId: string, finishedAt: string, reason: string): Promise<string[]> {
    const { results } = await this.db
      .prepare("UPDATE runs SET status = 'abandoned', finished_at = ?, reason = ? WHERE model = ? AND status = 'running' AND id != ? RETURNING id")
      .bind(finishedAt, reason, this.model, exceptId)
      .all<{ id: string }>();
    return results.map((r) => r.id).sort();
  }

  async lastDecidedFingerprint(): Promise<string | null> {
    const row = await this.db
      .prepare("SELECT fingerprint FROM runs WHERE model = ? AND status IN ('published', 'kept') AND fingerprint IS NOT NULL ORDER BY started_at DESC, rowid DESC LIMIT 1")
      .bind(this.model)
      .first<{ fingerprint: string }>();
    return row?.fingerprint ?? null;
  }

  async get(id: string): Promise<RunRecord | null> {
    const row = await this.db.prepare('SELECT * FROM runs WHERE model = ? AND id = ?').bind(this.model, id).first<RunRow>();
    return row ? toRun(row) : null;
  }

  /** Newest first, before `cursor` (a started_at|id pair from the previous page). */
  async list(limit: number, cursor?: string): Promise<{ runs: RunRecord[]; cursor: string | null }> {
    const [at, id] = cursor ? cursor.split('|') : [];
    const { results } = await this.db
      .prepare(`SELECT * FROM runs WHERE model = ? ${cursor ? 'AND (started_at, id) < (?, ?)' : ''} ORDER BY started_at DESC, id DESC LIMIT ?`)
      .bind(this.model, ...(cursor ? [at, id ?? ''] : []), limit + 1)
      .all<RunRow>();
    const page = results.slice(0, limit).map(toRun);
    const last = page[page.length - 1];
    return { runs: page, cursor: results.length > limit ? `${last.startedAt}|${last.id}` : null };
  }
}

/** The lease row of a model: `training` for `default` (its name before named models), `training:<model>` else. */
export function leaseName(model: string): string {
  return model === DEFAULT_MODEL ? 'training' : `training:${model}`;
}

/** One model's training lease: models train independently, each run of a model excludes the others of it. */
export class D1Lease implements TrainingLease {
  private readonly name: string;
  constructor(
    private readonly db: D1Database,
    model: string = DEFAULT_MODEL,
  ) {
    this.name = leaseName(model);
  }

  /** One atomic upsert: it writes only when the row is absent or expired, so one concurrent caller wins. */
  async acquire(owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .prepare(
        `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE leases.expires_at <= ?`,
      )
      .bind(this.name, owner, nowMs + ttlMs, nowMs)
      .run();
    return result.meta.changes === 1;
  }

  async renew(owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ?')
      .bind(nowMs + ttlMs, this.name, owner, nowMs)
      .run();
    return result.meta.changes === 1;
  }

  /** True while some run holds the lease (it has not expired). */
  async isHeld(nowMs: number): Promise<boolean> {
    const row = await this.db.prepare('SELECT 1 AS held FROM leases WHERE name = ? AND expires_at > ?').bind(this.name, nowMs).first<{ held: number }>();
    return row !== null;
  }

  async release(owner: string): Promise<void> {
    await this.db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').bind(this.name, owner).run();
  }
}
