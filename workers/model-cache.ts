/**
 * Per-isolate cache of the serving models, keyed by version. Each request reads the small `head/current`
 * pointer (KV serves it from the edge cache in production); the weights are read only when the version
 * changes, so a newly published head is picked up without a restart and without re-reading weights.
 */
import { NotReadyError, InvalidModelError } from '../shared/errors.ts';
import type { Head } from '../shared/head/head-types.ts';
import { loadStoredBackbone, type LoadedBackbone } from '../shared/load-backbone.ts';
import { getCurrentBackboneId } from '../shared/store/backbone-store.ts';
import { trainingBackboneId } from '../shared/store/choose-backbone.ts';
import { getCurrentHeadPointer, loadHead, type HeadManifest } from '../shared/store/head-store.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { isolateRuntime } from './runtime.ts';

export interface ServingModels {
  backbone: LoadedBackbone;
  head: Head;
  headManifest: HeadManifest;
}

/** A memoised async load that forgets a failure, so the next request retries. */
class Memo<T> {
  private entry: { key: string; value: Promise<T> } | undefined;
  constructor(private readonly onEvict: (value: T) => void = () => {}) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    if (this.entry?.key === key) return this.entry.value;
    const previous = this.entry?.value;
    const value = load();
    this.entry = { key, value };
    value.then(
      // The old model is released only once its replacement is ready; embedding is synchronous, so
      // no request can be half-way through the old one when this runs.
      () => previous?.then(this.onEvict, () => {}),
      () => {
        if (this.entry?.value === value) this.entry = undefined;
      },
    );
    return value;
  }
}

const NO_HEAD_MESSAGE =
  'no head is published yet: train one with `npx edgehead train --data DIR` (an ImageFolder of labelled photos), then retry';

export class ModelCache {
  private readonly backbones = new Memo<LoadedBackbone>((old) => old.model.dispose());
  private readonly heads = new Memo<{ head: Head; manifest: HeadManifest }>();

  constructor(private readonly kv: KvLike) {}

  /** A stored backbone by id (cached like the serving one), for embedding examples. */
  backbone(id: string): Promise<LoadedBackbone> {
    return this.backbones.get(id, () => loadStoredBackbone(this.kv, id, isolateRuntime().backend()));
  }

  /**
   * The head the service serves now and the backbone it was trained on (never another one).
   * @throws NotReadyError (503) when nothing is published yet
   */
  async serving(): Promise<ServingModels> {
    const pointer = await getCurrentHeadPointer(this.kv);
    if (!pointer) throw new NotReadyError(NO_HEAD_MESSAGE, 'no_head');
    const [{ head, manifest }, backbone] = await Promise.all([
      this.heads.get(pointer.version, () => loadHead(this.kv, pointer.version)),
      this.backbone(pointer.backboneId),
    ]);
    if (head.embeddingSize !== backbone.model.spec.embeddingSize) {
      throw new InvalidModelError(
        `head ${manifest.version} expects ${head.embeddingSize}-d embeddings but backbone ${backbone.manifest.id} gives ${backbone.model.spec.embeddingSize}`,
        'head_backbone_mismatch',
      );
    }
    return { backbone, head, headManifest: manifest };
  }

  /**
   * The backbone new heads are trained on (`backbone/current`), else the serving head's: what stored
   * examples are embedded with.
   * @throws NotReadyError (503) when no backbone is imported
   */
  async trainingBackbone(): Promise<LoadedBackbone> {
    const id = await trainingBackboneId(this.kv);
    if (!id) throw new NotReadyError('no backbone is imported yet: run `npm start` (it imports one) or `npx edgehead backbone import PATH`', 'no_backbone');
    return this.backbone(id);
  }

  /**
   * The backbone embeddings come from: the serving head's, or before any head the current one.
   * @throws NotReadyError (503) when no backbone is imported
   */
  async embeddingBackbone(): Promise<LoadedBackbone> {
    const pointer = await getCurrentHeadPointer(this.kv);
    const id = pointer?.backboneId ?? (await getCurrentBackboneId(this.kv));
    if (!id) throw new NotReadyError('no backbone is imported yet: run `npm start` (it imports one) or `npx edgehead backbone import PATH`', 'no_backbone');
    return this.backbone(id);
  }

  /** What /healthz reports: the backbone new heads train on and the serving head, without loading weights. */
  async status(): Promise<{ backboneId: string | null; headVersion: string | null }> {
    const [backboneId, pointer] = await Promise.all([getCurrentBackboneId(this.kv), getCurrentHeadPointer(this.kv)]);
    return { backboneId, headVersion: pointer?.version ?? null };
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
