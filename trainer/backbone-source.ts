/** Where a backbone file comes from: a local path, or an https URL pinned by sha256 and cached on disk. */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { BadRequestError, NotReadyError } from '../shared/errors.ts';

export interface KnownBackbone {
  name: string;
  sha256: string;
  url: string;
  licence: string;
}

const CORAL = 'https://github.com/google-coral/test_data/raw/master';
const CORAL_LICENCE = 'Apache-2.0 (google-coral/test_data)';

/** Public pretrained files we know by content, so a local copy still gets its name and licence. */
export const KNOWN_BACKBONES: KnownBackbone[] = [
  ['mobilenet_v2_1.0_224_quant', '7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776'],
  ['tf2_mobilenet_v2_1.0_224_ptq', '5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c'],
  ['mobilenet_v1_0.5_160_quant', '3cc6d2ca460abd2e0f699a6d0d2550c6b61c6e3b0e27a3616e384ea74cb86f43'],
  ['mobilenet_v1_0.25_128_quant', 'cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785'],
  ['mobilenet_v2_1.0_224_inat_insect_quant', '0ebaeb474dccf56b8b818b014f0d6a8e22b35a45b491a659f0b5405c9c838282'],
  ['mobilenet_v2_1.0_224_inat_bird_quant', '350fcd8cf1df1560060d464595dfed8b174b05792788052896004848d9ad04f9'],
].map(([name, sha256]) => ({ name, sha256, url: `${CORAL}/${name}.tflite`, licence: CORAL_LICENCE }));

/** Used when nothing else is given: ImageNet MobileNetV2 1.0, 224x224, uint8. */
export const DEFAULT_BACKBONE = KNOWN_BACKBONES[0];

export interface BackboneSource {
  bytes: Uint8Array;
  sha256: string;
  name: string;
  source: string;
  licence: string;
}

/** SHA-256 of some bytes as lowercase hex, synchronously (node:crypto): the CLI's digest of files; the core's is shared/hash.ts. */
export function sha256File(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function backboneCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'edgehead', 'backbones');
}

function describe(bytes: Uint8Array, source: string, fallbackName: string): BackboneSource {
  const sha256 = sha256File(bytes);
  const known = KNOWN_BACKBONES.find((k) => k.sha256 === sha256);
  return { bytes, sha256, source, name: known?.name ?? fallbackName, licence: known?.licence ?? 'unknown (imported from a local file)' };
}

const OFFLINE_HINT =
  'To use a file you already have, pass its path: `EDGEHEAD_BACKBONE=/path/to/model.tflite npm start`, ' +
  'or `npx edgehead backbone import /path/to/model.tflite`, or `--backbone /path/to/model.tflite` when training.';

/**
 * Resolves `spec` (a path, or an https URL; undefined means the default public MobileNetV2) to bytes.
 * A URL needs a pinned sha256 (`--sha256`, a `#sha256=` suffix, or a URL we know); the verified file is
 * cached, so only the first use needs the network.
 * @throws NotReadyError (offline, with how to pass a path instead), BadRequestError (bad path, unpinned URL, hash mismatch)
 */
export async function resolveBackboneSource(spec: string | undefined, options: { sha256?: string; cacheDir?: string } = {}): Promise<BackboneSource> {
  const target = spec ?? DEFAULT_BACKBONE.url;
  if (!/^https?:\/\//i.test(target)) {
    const bytes = await readFile(target).catch((error: NodeJS.ErrnoException) => {
      throw new BadRequestError(`cannot read backbone file ${target}: ${error.code ?? error.message}`, 'bad_backbone_path');
    });
    return describe(new Uint8Array(bytes), basename(target), basename(target).replace(/\.tflite$/i, ''));
  }
  const [url, fragment] = target.split('#');
  if (!url.toLowerCase().startsWith('https://')) throw new BadRequestError(`backbone URLs must use https: ${url}`, 'bad_backbone_url');
  const known = KNOWN_BACKBONES.find((k) => k.url === url);
  const pinned = (options.sha256 ?? fragment?.match(/^sha256=([0-9a-f]{64})$/i)?.[1] ?? known?.sha256)?.toLowerCase();
  if (!pinned) {
    throw new BadRequestError(`pin the file you expect: pass --sha256 HEX or append #sha256=HEX to ${url}`, 'unpinned_backbone_url');
  }
  const cacheDir = options.cacheDir ?? backboneCacheDir();
  const cached = join(cacheDir, `${pinned}.tflite`);
  if (await stat(cached).catch(() => null)) {
    const bytes = new Uint8Array(await readFile(cached));
    if (sha256File(bytes) === pinned) return describe(bytes, url, known?.name ?? basename(url, '.tflite'));
  }
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new NotReadyError(`could not download the backbone from ${url} (${(error as Error).cause ?? (error as Error).message}); are you offline? ${OFFLINE_HINT}`, 'backbone_unavailable');
  }
  if (!response.ok) throw new NotReadyError(`downloading ${url} failed with HTTP ${response.status}. ${OFFLINE_HINT}`, 'backbone_unavailable');
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256File(bytes);
  if (actual !== pinned) throw new BadRequestError(`${url} has sha256 ${actual}, expected ${pinned}; refusing to use it`, 'backbone_hash_mismatch');
  await mkdir(cacheDir, { recursive: true });
  // Write then rename, so an interrupted download never leaves a half file under the final name.
  await writeFile(`${cached}.partial`, bytes);
  await rename(`${cached}.partial`, cached);
  return describe(bytes, url, known?.name ?? basename(url, '.tflite'));
}
