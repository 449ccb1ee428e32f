/** The one rule for which stored backbone a job uses, read from the pointers in KV. */
import { getCurrentBackboneId } from './backbone-store.ts';
import { getCurrentHeadPointer, type HeadPointer } from './head-store.ts';
import type { KvLike } from './kv-like.ts';
import { DEFAULT_MODEL } from '../models/model-name.ts';

/**
 * The backbone new heads are trained on and stored examples are embedded with: `backbone/current`, else the
 * serving head's (of `model`); null when no backbone is imported.
 * @param pointer the serving head pointer when the caller has already read it (undefined: read it here)
 */
export async function trainingBackboneId(kv: KvLike, pointer?: HeadPointer | null, model: string = DEFAULT_MODEL): Promise<string | null> {
  const current = await getCurrentBackboneId(kv);
  if (current) return current;
  return (pointer === undefined ? await getCurrentHeadPointer(kv, model) : pointer)?.backboneId ?? null;
}
