import type { BackboneSpec } from '../backbone/backbone-spec.ts';
import { CorruptStoredModelError, NotReadyError } from '../errors.ts';
import { sha256Hex } from '../hash.ts';
import { getJson, putJson, type KvLike } from './kv-like.ts';
import { MAX_CHUNK_BYTES, modelKeys } from './model-keys.ts';

/** What is known about an imported backbone; stored beside its bytes. */
export interface BackboneManifest {
  /** content address: derived from the source file's sha256 */
  id: string;
  name: string;
  format: 'tflite';
  /** sha256 of the source file, hex */
  sourceSha256: string;
  /** where it came from (a URL, or a file name for a local path) */
  source: string;
  licence: string;
  bytes: number;
  chunks: number;
  spec: BackboneSpec;
  importedAt: string;
}

export interface BackbonePointer {
  id: string;
  setAt: string;
}

/** The content address of a backbone file: the first 16 hex digits of its sha256. */
export function backboneIdFor(sourceSha256: string): string {
  return `bb-${sourceSha256.slice(0, 16)}`;
}

/**
 * Stores a backbone's source bytes (chunked under KV's value limit) and then its manifest. Chunks and
 * manifest are immutable under the content address, so a re-import of the same file rewrites identical
 * values and an interrupted import leaves no manifest, which readers treat as absent.
 */
export async function storeBackbone(kv: KvLike, bytes: Uint8Array, manifest: Omit<BackboneManifest, 'chunks' | 'bytes' | 'id'>): Promise<BackboneManifest> {
  const id = backboneIdFor(manifest.sourceSha256);
  const chunks = Math.max(1, Math.ceil(bytes.length / MAX_CHUNK_BYTES));
  for (let index = 0; index < chunks; index++) {
    await kv.put(modelKeys.backboneChunk(id, index), bytes.slice(index * MAX_CHUNK_BYTES, (index + 1) * MAX_CHUNK_BYTES));
  }
  const full: BackboneManifest = { ...manifest, id, bytes: bytes.length, chunks };
  await putJson(kv, modelKeys.backboneManifest(id), full);
  return full;
}

/** Makes `id` the backbone that new heads are trained on. */
export async function setCurrentBackbone(kv: KvLike, id: string, now: Date): Promise<void> {
  if (!(await getJson<BackboneManifest>(kv, modelKeys.backboneManifest(id)))) {
    throw new NotReadyError(`backbone ${id} is not stored; import it first`, 'no_backbone');
  }
  await putJson(kv, modelKeys.currentBackbone(), { id, setAt: now.toISOString() } satisfies BackbonePointer);
}

export async function getCurrentBackboneId(kv: KvLike): Promise<string | null> {
  return (await getJson<BackbonePointer>(kv, modelKeys.currentBackbone()))?.id ?? null;
}

export function getBackboneManifest(kv: KvLike, id: string): Promise<BackboneManifest | null> {
  return getJson<BackboneManifest>(kv, modelKeys.backboneManifest(id));
}

/**
 * Reads a stored backbone's bytes back and checks them against the manifest's sha256.
 * @throws NotReadyError when absent, CorruptStoredModelError (500) when a chunk is missing or the bytes do not match
 */
export async function loadBackboneBytes(kv: KvLike, id: string): Promise<{ manifest: BackboneManifest; bytes: Uint8Array }> {
  const manifest = await getBackboneManifest(kv, id);
  if (!manifest) throw new NotReadyError(`backbone ${id} is not stored; import it with \`npx edgehead backbone import PATH\``, 'no_backbone');
  const chunks = await Promise.all(
    Array.from({ length: manifest.chunks }, async (_, index) => {
      const chunk = await kv.get(modelKeys.backboneChunk(id, index), 'arrayBuffer');
      if (!chunk) throw new CorruptStoredModelError(`stored backbone ${id} is missing chunk ${index} of ${manifest.chunks}`);
      return new Uint8Array(chunk);
    }),
  );
  // A single chunk (every backbone under 20 MiB) is used as it is: copying it costs a cold start more than
  // the copy itself, because fresh memory is paid for on first touch.
  const bytes = chunks.length === 1 ? chunks[0] : new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
  if (chunks.length !== 1) {
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
  }
  if (bytes.length !== manifest.bytes || (await sha256Hex(bytes)) !== manifest.sourceSha256) {
    throw new CorruptStoredModelError(`stored backbone ${id} does not match its manifest's sha256`);
  }
  return { manifest, bytes };
}
