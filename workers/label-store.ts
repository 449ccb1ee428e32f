/** One model's whole labels over D1 and R2: rename (every example moves) and delete (every example and its photo go). */
import { NotFoundError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { exampleKeys } from '../shared/store/model-keys.ts';

/** R2 deletes at most 1,000 keys per call. */
const R2_DELETE_BATCH = 1000;

function noSuchLabel(label: string): NotFoundError {
  return new NotFoundError(`no example has the label ${JSON.stringify(label)}`, 'label_not_found');
}

export class D1LabelStore {
  constructor(
    private readonly db: D1Database,
    private readonly bucket: R2Bucket,
    private readonly model: string = DEFAULT_MODEL,
  ) {}

  /**
   * Gives every example labelled `from` the label `to` in one statement (an existing `to` label is merged into).
   * @returns how many examples moved
   * @throws NotFoundError (label_not_found) when no example has the label `from`
   */
  async rename(from: string, to: string, now: Date): Promise<number> {
    // Counted by RETURNING: D1's meta.changes also counts the rows the example_version trigger updates.
    const { results } = await this.db.prepare('UPDATE examples SET label = ?, updated_at = ? WHERE model = ? AND label = ? RETURNING id').bind(to, now.toISOString(), this.model, from).all();
    if (results.length === 0) throw noSuchLabel(from);
    return results.length;
  }

  /**
   * Deletes every example labelled `label`: the rows first (training stops seeing them), then their photos.
   * @returns how many examples were deleted
   * @throws NotFoundError (label_not_found) when no example has the label
   */
  async delete(label: string): Promise<number> {
    const { results } = await this.db.prepare('DELETE FROM examples WHERE model = ? AND label = ? RETURNING id').bind(this.model, label).all<{ id: string }>();
    if (results.length === 0) throw noSuchLabel(label);
    const keys = results.map((r) => exampleKeys.original(r.id, this.model));
    for (let i = 0; i < keys.length; i += R2_DELETE_BATCH) await this.bucket.delete(keys.slice(i, i + R2_DELETE_BATCH));
    return results.length;
  }
}
