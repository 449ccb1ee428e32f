/**
 * Worker tests run inside workerd, which has no file system. This packs the fixtures they need (read from
 * ../shared, never committed) into one git-ignored file that vitest binds as an ArrayBuffer: a 4-byte
 * little-endian length, a JSON index of {name, offset, length}, then the files' bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DIR = resolve(import.meta.dirname, '../../../shared');
export const GENERATED_DIR = resolve(import.meta.dirname, '../fixtures/generated');

function firstImages(dir: string, count: number): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, count).map((f) => join(dir, f));
}

/** name in the pack -> absolute path */
export function workerFixtureFiles(): Record<string, string> {
  const files: Record<string, string> = {
    'backbones/mobilenet_v1_0.25_128_quant.tflite': join(SHARED_DIR, 'backbones/mobilenet_v1_0.25_128_quant.tflite'),
    'backbones/mobilenet_v2_1.0_224_quant.tflite': join(SHARED_DIR, 'backbones/mobilenet_v2_1.0_224_quant.tflite'),
    'images/cat_720p.jpg': join(SHARED_DIR, 'images/cat_720p.jpg'),
    'images/hot_dog.jpg': join(SHARED_DIR, 'images/hot_dog.jpg'),
  };
  for (const split of ['train', 'val'] as const) {
    for (const label of ['ants', 'bees']) {
      for (const path of firstImages(join(SHARED_DIR, 'datasets/hymenoptera', split, label), split === 'train' ? 20 : 8)) {
        files[`hymenoptera/${split}/${label}/${path.split('/').pop()}`] = path;
      }
    }
  }
  return files;
}

/** A lossy WebP made by libwebp's cwebp (Debian package `webp`). */
function webpOf(source: string, name: string): string {
  const out = join(GENERATED_DIR, name);
  try {
    execFileSync('cwebp', ['-quiet', '-q', '95', source, '-o', out]);
  } catch (error) {
    throw new Error(`the worker tests make a WebP fixture with cwebp: apt-get install -y webp (${(error as Error).message})`);
  }
  return out;
}

/** Writes the pack (when missing or stale) and returns its path. */
export function buildWorkerFixturePack(): string {
  if (!existsSync(SHARED_DIR)) {
    throw new Error(`fixtures folder ${SHARED_DIR} is missing: the tests read real models and photos from ../shared beside the checkout`);
  }
  mkdirSync(GENERATED_DIR, { recursive: true });
  const files = { ...workerFixtureFiles(), 'images/hot_dog.webp': webpOf(join(SHARED_DIR, 'images/hot_dog.jpg'), 'hot_dog.webp') };
  const index: { name: string; offset: number; length: number }[] = [];
  const blobs: Buffer[] = [];
  let offset = 0;
  for (const [name, path] of Object.entries(files)) {
    const bytes = readFileSync(path);
    index.push({ name, offset, length: bytes.length });
    blobs.push(bytes);
    offset += bytes.length;
  }
  const header = Buffer.from(JSON.stringify(index));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const out = join(GENERATED_DIR, 'worker-fixtures.bin');
  writeFileSync(out, Buffer.concat([length, header, ...blobs]));
  return out;
}
