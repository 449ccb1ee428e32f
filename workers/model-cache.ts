/**
 * Per-isolate cache of the serving models: backbones keyed by id, and one head per named model keyed by version.
 * Each request reads the model's small `current` pointer (KV serves it from the edge cache in production); weights
 * are read only when a version changes, so a newly published head is picked up without a restart.
 *
 * Every named model shares the backbone, so normally one backbone is loaded. During a backbone change two can be:
 * a backbone is disposed only when nobody holds it (requests and training runs take it through a `ModelScope` and
 * release it when done) and it is not the one most recently asked for, so the cron can never dispose a model a
 * request is still using.
 */
import { CorruptStoredModelError, NotReadyError } from '../shared/errors.ts';
import type { Head } from '../shared/head/head-types.ts';
import { loadStoredBackbone, type LoadedBackbone } from '../shared/load-backbone.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { getCurrentBackboneId } from '../shared/store/backbone-store.ts';
import { trainingBackboneId } from '../shared/store/choose-backbone.ts';
import { getCurrentHeadPointer, loadHead, type HeadManifest } from '../shared/store/head-store.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { isolateRuntime } from './runtime.ts';
import { BackboneSlots } from './backbone-slots.ts';

export interface ServingModels {
  backbone: LoadedBackbone;
  head: Head;
  headManifest: HeadManifest;
}

/** A memoised async load that forgets a failure, so the next request retries. */
class Memo<T> {
  private entry: { key: string; value: Promise<T> } | undefined;

  get(key: string, load: () => Promise<T>): Promise<T> {
    if (this.entry?.key === key) return this.entry.value;
    const value = load();
    this.entry = { key, value };
    value.catch(() => {
      if (this.entry?.value === value) this.entry = undefined;
    });
    return value;
  }
}

const NO_HEAD_MESSAGE =
  'no head is published yet: train one with `npx edgehead train --data DIR` (an ImageFolder of labelled photos), then retry';
const NO_BACKBONE_MESSAGE = 'no backbone is imported yet: run `npm start` (it imports one) or `npx edgehead backbone import PATH`';

function noHeadMessage(model: string): string {
  return model === DEFAULT_MODEL ? NO_HEAD_MESSAGE : `model ${model} has no head yet: add examples and POST /v1/models/${model}/train (or \`npx edgehead train --model ${model} --data DIR\`)`;
}

/**
 * The models one request (or one training run) uses: backbones it takes stay loaded until `release()`.
 * Same methods as the isolate's cache, so handlers read `c.var.models.serving(model)` either way.
 */
export class ModelScope {
  private readonly held: string[] = [];

  constructor(private readonly cache: ModelCache) {}

  /** A stored backbone by id, held until `release()`. */
  async backbone(id: string): Promise<LoadedBackbone> {
    const backbone = await this.cache.slots.acquire(id);
    this.held.push(id);
    return backbone;
  }

  /**
   * The head a model serves now and the backbone it was trained on (never another one).
   * @throws NotReadyError (503, `no_head`) when the model has no head yet; CorruptStoredModelError (500,
   *   `head_backbone_mismatch`) when the stored head does not fit the backbone its pointer names
   */
  async serving(model: string = DEFAULT_MODEL): Promise<ServingModels> {
    const kv = this.cache.kv;
    const pointer = await getCurrentHeadPointer(kv, model);
    if (!pointer) throw new NotReadyError(noHeadMessage(model), 'no_head');
    const [{ head, manifest }, backbone] = await Promise.all([
      this.cache.headMemo(model).get(pointer.version, () => loadHead(kv, pointer.version, model)),
      this.backbone(pointer.backboneId),
    ]);
    if (head.embeddingSize !== backbone.model.spec.embeddingSize) {
      // Both halves are our own stored data and disagree: the operator's to fix (re-publish), not the caller's.
      throw new CorruptStoredModelError(
        `stored head ${manifest.version} expects ${head.embeddingSize}-d embeddings but its backbone ${backbone.manifest.id} gives ${backbone.model.spec.embeddingSize}`,
        'head_backbone_mismatch',
      );
    }
    return { backbone, head, headManifest: manifest };
  }

  /**
   * The backbone new heads are trained on (`backbone/current`), else the model's serving head's: what stored
   * examples are embedded with.
   * @throws NotReadyError (503) when no backbone is imported
   */
  async trainingBackbone(model: string = DEFAULT_MODEL): Promise<LoadedBackbone> {
    const kv = this.cache.kv;
    const id = await trainingBackboneId(kv, undefined, model);
    if (!id) throw new NotReadyError(NO_BACKBONE_MESSAGE, 'no_backbone');
    return this.backbone(id);
  }

  /**
   * The backbone embeddings come from: the default model's serving head's, or before any head the current one.
   * @throws NotReadyError (503) when no backbone is imported
   */
  async embeddingBackbone(): Promise<LoadedBackbone> {
    const pointer = await getCurrentHeadPointer(this.cache.kv);
    const id = pointer?.backboneId ?? (await getCurrentBackboneId(this.cache.kv));
    if (!id) throw new NotReadyError(NO_BACKBONE_MESSAGE, 'no_backbone');
    return this.backbone(id);
  }

  /** What /healthz reports: the backbone new heads train on and the default model's serving head, without loading weights. */
  status(): Promise<{ backboneId: string | null; headVersion: string | null }> {
    return this.cache.status();
  }

  /** Lets go of every backbone this scope took; safe to call twice. */
  release(): void {
    for (const id of this.held.splice(0)) this.cache.slots.release(id);
  }
}

export class ModelCache {
  /** @internal the loaded backbones and who holds them (used by ModelScope) */
  readonly slots = new BackboneSlots((id) => loadStoredBackbone(this.kv, id, isolateRuntime()));
  private readonly heads = new Map<string, Memo<{ head: Head; manifest: HeadManifest }>>();

  constructor(readonly kv: KvLike) {}

  /** A scope whose backbones stay loaded until its `release()` (one per request or training run). */
  scope(): ModelScope {
    return new ModelScope(this);
  }

  /** @internal the head memo of a model */
  headMemo(model: string): Memo<{ head: Head; manifest: HeadManifest }> {
    let memo = this.heads.get(model);
    if (!memo) {
      memo = new Memo();
      this.heads.set(model, memo);
    }
    return memo;
  }

  /** Drops a deleted model's cached head. */
  forget(model: string): void {
    this.heads.delete(model);
  }

  /** A stored backbone by id, not held: valid until another backbone replaces it (use a scope to hold it). */
  backbone(id: string): Promise<LoadedBackbone> {
    return this.unheld((s) => s.backbone(id));
  }

  /** A model's serving head and backbone, not held (see `ModelScope.serving`). */
  serving(model: string = DEFAULT_MODEL): Promise<ServingModels> {
    return this.unheld((s) => s.serving(model));
  }

  async status(): Promise<{ backboneId: string | null; headVersion: string | null }> {
    const [backboneId, pointer] = await Promise.all([getCurrentBackboneId(this.kv), getCurrentHeadPointer(this.kv)]);
    return { backboneId, headVersion: pointer?.version ?? null };
  }

  private async unheld<T>(use: (scope: ModelScope) => Promise<T>): Promise<T> {
    const scope = this.scope();
    try {
      return await use(scope);
    } finally {
      scope.release();
    }
  }
}

const caches = new WeakMap<object, ModelCache>();

/** One cache per KV binding per isolate. */
export function modelCacheFor(kv: KvLike): ModelCache {
  let cache = caches.get(kv);
  if (!cache) {
    cache = new ModelCache(kv);
    caches.set(kv, cache);
  }
  return cache;
}
