/**
 * The slice of Workers KV the core needs. A `KVNamespace` binding satisfies it inside workerd, so does
 * the binding wrangler's `getPlatformProxy` gives Node (the same local state `wrangler dev` serves),
 * and so does the CLI's adapter for a deployed namespace.
 */
export interface KvLike {
  get(key: string, type: 'text'): Promise<string | null>;
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  put(key: string, value: string | ArrayBuffer | ArrayBufferView): Promise<void>;
  delete?(key: string): Promise<void>;
  list?(options: { prefix: string; cursor?: string | null }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

/** Reads and parses a JSON value; null when the key is absent. */
export async function getJson<T>(kv: KvLike, key: string): Promise<T | null> {
  const text = await kv.get(key, 'text');
  return text === null ? null : (JSON.parse(text) as T);
}

export function putJson(kv: KvLike, key: string, value: unknown): Promise<void> {
  return kv.put(key, JSON.stringify(value));
}
