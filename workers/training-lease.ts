/** The retraining job's lease in D1 (`leases` table): one row per model, so overlapping runs of a model never both publish. */
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { TrainingLease } from '../shared/training/ports.ts';

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
