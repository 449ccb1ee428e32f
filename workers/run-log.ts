/** The retraining job's run log in D1 (`runs` table): one model's runs, each row written at its start and its finish. */
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { RunDetails, RunRecord } from '../shared/training/run-record.ts';
import type { RunLog } from '../shared/training/ports.ts';

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
    details: row.details ? (JSON.parse(row.details) as RunDetails) : {},
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
