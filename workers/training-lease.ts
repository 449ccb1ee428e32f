/** The retraining job's lease in D1 (`leases` table): one row, so overlapping runs never both publish. */
import type { TrainingLease } from '../shared/training/ports.ts';

const LEASE = 'training';

export class D1Lease implements TrainingLease {
  constructor(private readonly db: D1Database) {}

  /** One atomic upsert: it writes only when the row is absent or expired, so one concurrent caller wins. */
  async acquire(owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .prepare(
        `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at WHERE leases.expires_at <= ?`,
      )
      .bind(LEASE, owner, nowMs + ttlMs, nowMs)
      .run();
    return result.meta.changes === 1;
  }

  async renew(owner: string, nowMs: number, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND owner = ? AND expires_at > ?')
      .bind(nowMs + ttlMs, LEASE, owner, nowMs)
      .run();
    return result.meta.changes === 1;
  }

  async release(owner: string): Promise<void> {
    await this.db.prepare('DELETE FROM leases WHERE name = ? AND owner = ?').bind(LEASE, owner).run();
  }
}
