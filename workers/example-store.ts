/**
 * Labelled examples of one model over D1 (rows: label, embeddings) and R2 (the original photos, keyed by sha256):
 * the core's `ExampleStore`. The run log (run-log.ts) and the training lease (training-lease.ts) are their own rooms.
 */
import {
  allocateQuantisedRows,
  decodeEmbeddingCodes,
  encodeEmbedding,
  encodedLength,
  firstQuantisedRows,
  quantiseEmbeddingInto,
  resizeQuantisedRows,
  type QuantisedRows,
} from '../shared/examples/embedding-codec.ts';
import { NotFoundError } from '../shared/errors.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { exampleKeys } from '../shared/store/model-keys.ts';
import type { StoredSuspect } from '../shared/training/suspect-step.ts';
import type { HoldoutMistake, StoredEmbeddings } from '../shared/training/holdout-split.ts';
import type { ExampleStore } from '../shared/training/ports.ts';
import type { ExampleInfo } from './example-info.ts';
import { D1MistakeStore } from './mistake-store.ts';
import { D1SuspectStore } from './suspect-store.ts';

export type { ExampleInfo } from './example-info.ts';

interface ExampleRow {
  id: string;
  label: string;
  content_type: string;
  bytes: number;
  width: number;
  height: number;
  backbone_id: string;
  created_at: string;
  updated_at: string;
}

const INFO_COLUMNS = 'id, label, content_type, bytes, width, height, backbone_id, created_at, updated_at';

function toInfo(row: ExampleRow): ExampleInfo {
  return {
    id: row.id,
    label: row.label,
    contentType: row.content_type,
    bytes: row.bytes,
    width: row.width,
    height: row.height,
    backboneId: row.backbone_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Rows from before migration 0002 hold float32 little-endian BLOBs, which D1 hands back as arrays of byte values
 * (or ArrayBuffers, depending on the path). */
function legacyBytes(value: unknown): Uint8Array {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : Uint8Array.from(value as number[]);
}

/** A pre-0002 float32 blob as floats. */
function legacyFloats(legacy: unknown): Float32Array {
  const bytes = legacyBytes(legacy);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** One view of a row into row `row` of `into`: the compact text as stored, or a pre-0002 float32 blob quantised
 * as the compact format would store it. */
function readView(compact: string | null, legacy: unknown, into: QuantisedRows, row: number): void {
  if (compact !== null) decodeEmbeddingCodes(compact, into, row);
  else quantiseEmbeddingInto(legacyFloats(legacy), into, row);
}

/** Length of a view as stored (compact text or float32 blob). */
function viewLength(compact: string | null, legacy: unknown): number {
  return compact !== null ? encodedLength(compact) : legacyBytes(legacy).byteLength / 4;
}

interface EmbeddingRow {
  id: string;
  label: string;
  embedding_q8: string | null;
  embedding_flipped_q8: string | null;
  /** only for rows still in the pre-0002 format */
  embedding: unknown;
  embedding_flipped: unknown;
}

const EMBEDDING_COLUMNS = `id, label, embedding_q8, embedding_flipped_q8,
  CASE WHEN embedding_q8 IS NULL THEN embedding END AS embedding, CASE WHEN embedding_q8 IS NULL THEN embedding_flipped END AS embedding_flipped`;

/** Pre-0002 rows converted to the compact format per training run at most (each is ~10 KB of byte numbers to read). */
const LEGACY_BATCH = 500;

/**
 * Embeddings are read in pages of this many rows (~1.7 MB of text each; D1 caps a result at 50 MB and an
 * invocation at 1,000 queries, 50 on the free plan). Measured on the 10k bench set in workerd (two interleaved
 * runs each): 200-row pages spent 1.5-2 s of the run waiting between pages (wall above CPU), 500 and 1,000 almost
 * none, at the same CPU; 1,000 raised the process's peak memory by ~40 MB, 500 did not.
 */
const PAGE_ROWS = 500;

/** One model's examples: every query is scoped to `model` (a validated name; `default` unless given). */
export class D1ExampleStore implements ExampleStore {
  constructor(
    private readonly db: D1Database,
    private readonly bucket: R2Bucket,
    private readonly model: string = DEFAULT_MODEL,
  ) {}

  async get(id: string): Promise<ExampleInfo | null> {
    const row = await this.db.prepare(`SELECT ${INFO_COLUMNS} FROM examples WHERE model = ? AND id = ?`).bind(this.model, id).first<ExampleRow>();
    return row ? toInfo(row) : null;
  }

  /** @throws NotFoundError (404) when there is no such example */
  async require(id: string): Promise<ExampleInfo> {
    const found = await this.get(id);
    if (!found) throw new NotFoundError(`no example ${id}`, 'example_not_found');
    return found;
  }

  /**
   * Stores a new example: the original in R2 first, then the row, so a row never points at a missing photo.
   * @returns the example and whether it was created (false: the same photo was already stored, left as it was)
   */
  async add(
    example: Omit<ExampleInfo, 'createdAt' | 'updatedAt'>,
    original: Uint8Array,
    views: { plain: Float32Array; flipped: Float32Array },
    now: Date,
  ): Promise<{ example: ExampleInfo; created: boolean }> {
    const existing = await this.get(example.id);
    if (existing) return { example: existing, created: false };
    await this.bucket.put(exampleKeys.original(example.id, this.model), original, { httpMetadata: { contentType: example.contentType } });
    const at = now.toISOString();
    const result = await this.db
      .prepare(
        `INSERT INTO examples (model, id, label, content_type, bytes, width, height, backbone_id, embedding, embedding_flipped, embedding_q8, embedding_flipped_q8, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, x'', x'', ?, ?, ?, ?) ON CONFLICT (model, id) DO NOTHING`,
      )
      .bind(this.model, example.id, example.label, example.contentType, example.bytes, example.width, example.height, example.backboneId, encodeEmbedding(views.plain), encodeEmbedding(views.flipped), at, at)
      .run();
    // A concurrent upload of the same photo may have won the insert: then it is the stored one.
    if (result.meta.changes === 0) return { example: await this.require(example.id), created: false };
    return { example: { ...example, createdAt: at, updatedAt: at }, created: true };
  }

  /** Examples sorted by id, after `cursor` (an id), optionally of one label. */
  async list(options: { label?: string; cursor?: string; limit: number }): Promise<{ examples: ExampleInfo[]; cursor: string | null }> {
    const where: string[] = ['model = ?'];
    const params: unknown[] = [this.model];
    if (options.label !== undefined) {
      where.push('label = ?');
      params.push(options.label);
    }
    if (options.cursor) {
      where.push('id > ?');
      params.push(options.cursor);
    }
    const sql = `SELECT ${INFO_COLUMNS} FROM examples WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`;
    const { results } = await this.db.prepare(sql).bind(...params, options.limit + 1).all<ExampleRow>();
    const page = results.slice(0, options.limit).map(toInfo);
    return { examples: page, cursor: results.length > options.limit ? page[page.length - 1].id : null };
  }

  async relabel(id: string, label: string, now: Date): Promise<ExampleInfo> {
    const result = await this.db.prepare('UPDATE examples SET label = ?, updated_at = ? WHERE model = ? AND id = ?').bind(label, now.toISOString(), this.model, id).run();
    if (result.meta.changes === 0) throw new NotFoundError(`no example ${id}`, 'example_not_found');
    return this.require(id);
  }

  /** Deletes the row first (training stops seeing it), then the photo. */
  async delete(id: string): Promise<void> {
    const result = await this.db.prepare('DELETE FROM examples WHERE model = ? AND id = ?').bind(this.model, id).run();
    if (result.meta.changes === 0) throw new NotFoundError(`no example ${id}`, 'example_not_found');
    await this.bucket.delete(exampleKeys.original(id, this.model));
  }

  async labelCounts(): Promise<{ label: string; count: number }[]> {
    const { results } = await this.db
      .prepare('SELECT label, COUNT(*) AS count FROM examples WHERE model = ? GROUP BY label ORDER BY label')
      .bind(this.model)
      .all<{ label: string; count: number }>();
    return results;
  }

  async listIndex(): Promise<{ id: string; label: string; backboneId: string }[]> {
    const { results } = await this.db
      .prepare('SELECT id, label, backbone_id FROM examples WHERE model = ? ORDER BY id')
      .bind(this.model)
      .all<{ id: string; label: string; backbone_id: string }>();
    return results.map((r) => ({ id: r.id, label: r.label, backboneId: r.backbone_id }));
  }

  /** Records the training run's suspect labels (workers/suspect-store.ts). */
  async setSuspects(runId: string, suspects: StoredSuspect[]): Promise<void> {
    await new D1SuspectStore(this.db, this.model).replace(runId, suspects);
  }

  /** Records the holdout mistakes of a head the run published (workers/mistake-store.ts). */
  async setMistakes(runId: string, headVersion: string, mistakes: HoldoutMistake[]): Promise<void> {
    await new D1MistakeStore(this.db, this.model).replace(runId, headVersion, mistakes);
  }

  async readOriginal(id: string): Promise<Uint8Array | null> {
    const object = await this.bucket.get(exampleKeys.original(id, this.model));
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  }

  async openOriginal(id: string): Promise<R2ObjectBody | null> {
    return this.bucket.get(exampleKeys.original(id, this.model));
  }

  async setEmbeddings(id: string, backboneId: string, plain: Float32Array, flipped: Float32Array): Promise<void> {
    await this.db
      .prepare(`UPDATE examples SET backbone_id = ?, embedding = x'', embedding_flipped = x'', embedding_q8 = ?, embedding_flipped_q8 = ? WHERE model = ? AND id = ?`)
      .bind(backboneId, encodeEmbedding(plain), encodeEmbedding(flipped), this.model, id)
      .run();
  }

  /** The change counter the database bumps on every insert, relabel and delete (migration 0002), and how many
   * examples are not embedded with `backboneId` or still in the pre-0002 format (all of this model): indexed lookups, whatever the number
   * of examples. */
  async changeState(backboneId: string): Promise<{ version: number; stale: number; legacy: number }> {
    const row = await this.db
      .prepare(
        `SELECT (SELECT example_version FROM models WHERE name = ?1) AS version, (SELECT COUNT(*) FROM examples WHERE model = ?1 AND backbone_id != ?2) AS stale,
           (SELECT COUNT(*) FROM examples WHERE model = ?1 AND embedding_q8 IS NULL) AS legacy`,
      )
      .bind(this.model, backboneId)
      .first<{ version: number; stale: number; legacy: number }>();
    return { version: row!.version, stale: row!.stale, legacy: row!.legacy };
  }

  /** Rewrites up to LEGACY_BATCH pre-0002 rows (float32 blobs) in the compact format, keeping their values
   * (quantised) and backbone; only where a row is still in the old format, so a concurrent re-embedding wins. */
  async compactLegacy(): Promise<number> {
    const { results } = await this.db
      .prepare('SELECT id, embedding, embedding_flipped FROM examples WHERE model = ? AND embedding_q8 IS NULL ORDER BY id LIMIT ?')
      .bind(this.model, LEGACY_BATCH)
      .all<{ id: string; embedding: unknown; embedding_flipped: unknown }>();
    if (results.length === 0) return 0;
    const statements = results.map((r) => {
      const [plain, flipped] = [r.embedding, r.embedding_flipped].map((v) => encodeEmbedding(legacyFloats(v)));
      return this.db
        .prepare(`UPDATE examples SET embedding_q8 = ?, embedding_flipped_q8 = ?, embedding = x'', embedding_flipped = x'' WHERE model = ? AND id = ? AND embedding_q8 IS NULL`)
        .bind(plain, flipped, this.model, r.id);
    });
    await this.db.batch(statements);
    return results.length;
  }

  /**
   * Pages of PAGE_ROWS rows, each view decoded straight into one 8-bit buffer for the whole set (sized from
   * `expected`, grown if more arrive): no per-example arrays, no float expansion.
   */
  async embeddedExamples(backboneId: string, expected: number): Promise<StoredEmbeddings> {
    const ids: string[] = [];
    const labels: string[] = [];
    let rows: QuantisedRows | null = null;
    let after = '';
    for (;;) {
      const { results } = await this.db
        .prepare(`SELECT ${EMBEDDING_COLUMNS} FROM examples WHERE model = ? AND backbone_id = ? AND id > ? ORDER BY id LIMIT ?`)
        .bind(this.model, backboneId, after, PAGE_ROWS)
        .all<EmbeddingRow>();
      if (results.length > 0) {
        rows ??= allocateQuantisedRows(2 * Math.max(expected, results.length), viewLength(results[0].embedding_q8, results[0].embedding));
        const needed = 2 * (ids.length + results.length);
        if (needed > rows.offset.length) rows = resizeQuantisedRows(rows, 2 * ids.length, Math.max(needed, Math.ceil(rows.offset.length * 1.5)));
        for (const r of results) {
          const i = ids.length;
          try {
            readView(r.embedding_q8, r.embedding, rows, 2 * i);
            readView(r.embedding_flipped_q8, r.embedding_flipped, rows, 2 * i + 1);
          } catch (error) {
            throw new Error(`example ${r.id}: ${(error as Error).message}`);
          }
          ids.push(r.id);
          labels.push(r.label);
        }
      }
      if (results.length < PAGE_ROWS) return { ids, labels, rows: rows ? firstQuantisedRows(rows, 2 * ids.length) : allocateQuantisedRows(0, 0) };
      after = results[results.length - 1].id;
    }
  }
}
