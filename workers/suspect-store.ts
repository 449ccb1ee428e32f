/** Suspect labels over D1 (the `suspects` table, migration 0003): written by the training job, listed by the API. */
import { BadRequestError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { StoredSuspect } from '../shared/training/suspect-step.ts';
import type { ExampleInfo } from './example-info.ts';

/** An example listed by `GET /v1/examples?suspect=true`. */
export interface SuspectExample extends ExampleInfo {
  suspect: { label: string; score: number; run: string };
}

/** Statements per D1 batch when the table is rewritten. */
const BATCH = 200;

const CURSOR = /^(\d+(?:\.\d+)?(?:e-?\d+)?)_([0-9a-f]{64})$/;

/** One model's suspects: every query is scoped to `model`. */
export class D1SuspectStore {
  constructor(
    private readonly db: D1Database,
    private readonly model: string = DEFAULT_MODEL,
  ) {}

  /** Replaces every recorded suspect with one run's. */
  async replace(runId: string, suspects: StoredSuspect[]): Promise<void> {
    const statements = [this.db.prepare('DELETE FROM suspects WHERE model = ?').bind(this.model)];
    const insert = this.db.prepare('INSERT INTO suspects (model, example_id, run_id, given_label, label, score) VALUES (?, ?, ?, ?, ?, ?)');
    for (const s of suspects) statements.push(insert.bind(this.model, s.id, runId, s.given, s.label, s.score));
    for (let i = 0; i < statements.length; i += BATCH) await this.db.batch(statements.slice(i, i + BATCH));
  }

  /**
   * Suspect examples, most suspect (highest contradicting probability) first, after `cursor` ("score_id" of the
   * last one of the previous page); optionally of one given label. An example relabelled since the run is not listed.
   * @throws BadRequestError on a malformed cursor
   */
  async list(options: { label?: string; cursor?: string; limit: number }): Promise<{ examples: SuspectExample[]; cursor: string | null }> {
    const where = ['s.model = ?', 's.given_label = e.label'];
    const params: unknown[] = [this.model];
    if (options.label !== undefined) {
      where.push('e.label = ?');
      params.push(options.label);
    }
    if (options.cursor) {
      const match = CURSOR.exec(options.cursor);
      if (!match) throw new BadRequestError('cursor is not one this listing returned (expected "<score>_<id>")', 'invalid_cursor');
      where.push('(s.score < ? OR (s.score = ? AND e.id > ?))');
      params.push(Number(match[1]), Number(match[1]), match[2]);
    }
    const sql = `SELECT e.id, e.label, e.content_type, e.bytes, e.width, e.height, e.backbone_id, e.created_at, e.updated_at,
        s.label AS suspect_label, s.score AS suspect_score, s.run_id AS suspect_run
      FROM suspects s JOIN examples e ON e.model = s.model AND e.id = s.example_id WHERE ${where.join(' AND ')} ORDER BY s.score DESC, e.id LIMIT ?`;
    const { results } = await this.db.prepare(sql).bind(...params, options.limit + 1).all<Record<string, string | number>>();
    const page = results.slice(0, options.limit).map(
      (r): SuspectExample => ({
        id: r.id as string,
        label: r.label as string,
        contentType: r.content_type as string,
        bytes: r.bytes as number,
        width: r.width as number,
        height: r.height as number,
        backboneId: r.backbone_id as string,
        createdAt: r.created_at as string,
        updatedAt: r.updated_at as string,
        suspect: { label: r.suspect_label as string, score: r.suspect_score as number, run: r.suspect_run as string },
      }),
    );
    const last = page[page.length - 1];
    return { examples: page, cursor: results.length > options.limit ? `${last.suspect.score}_${last.id}` : null };
  }
}
