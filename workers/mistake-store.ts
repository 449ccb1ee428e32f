/** One model's holdout mistakes over D1 (the `holdout_mistakes` table, migration 0005): written by the training job, listed by the API. */
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { HoldoutMistake } from '../shared/training/holdout-split.ts';

/** A recorded mistake as listed by `GET /v1/heads/:version/mistakes`; `currentLabel` is null once the example is deleted. */
export interface RecordedMistake extends HoldoutMistake {
  run: string;
  currentLabel: string | null;
}

/** Statements per D1 batch when a head's mistakes are written. */
const BATCH = 100;

export class D1MistakeStore {
  constructor(
    private readonly db: D1Database,
    private readonly model: string = DEFAULT_MODEL,
  ) {}

  /** Replaces the mistakes recorded for `headVersion` with one run's. */
  async replace(runId: string, headVersion: string, mistakes: HoldoutMistake[]): Promise<void> {
    const statements = [this.db.prepare('DELETE FROM holdout_mistakes WHERE model = ? AND head_version = ?').bind(this.model, headVersion)];
    const insert = this.db.prepare('INSERT INTO holdout_mistakes (model, head_version, example_id, run_id, label, predicted, confidence) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const m of mistakes) statements.push(insert.bind(this.model, headVersion, m.id, runId, m.label, m.predicted, m.confidence));
    for (let i = 0; i < statements.length; i += BATCH) await this.db.batch(statements.slice(i, i + BATCH));
  }

  /** The mistakes recorded for `headVersion`, most confident first, with each example's label now. */
  async list(headVersion: string): Promise<RecordedMistake[]> {
    const { results } = await this.db
      .prepare(
        `SELECT m.example_id, m.run_id, m.label, m.predicted, m.confidence, e.label AS current_label
         FROM holdout_mistakes m LEFT JOIN examples e ON e.model = m.model AND e.id = m.example_id
         WHERE m.model = ? AND m.head_version = ? ORDER BY m.confidence DESC, m.example_id`,
      )
      .bind(this.model, headVersion)
      .all<{ example_id: string; run_id: string; label: string; predicted: string; confidence: number; current_label: string | null }>();
    return results.map((r) => ({ id: r.example_id, run: r.run_id, label: r.label, predicted: r.predicted, confidence: r.confidence, currentLabel: r.current_label }));
  }

  /** Forgets a deleted head's mistakes. */
  async forget(headVersion: string): Promise<void> {
    await this.db.prepare('DELETE FROM holdout_mistakes WHERE model = ? AND head_version = ?').bind(this.model, headVersion).run();
  }
}
