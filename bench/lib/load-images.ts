/**
 * The request mix of `npm run load`: legitimate photos (1 MP and 12 MP as JPEG, PNG and WebP, made from the
 * bench fixtures with ImageMagick and cwebp into the git-ignored generated folder), broken uploads, and the
 * hostile classes of test/helpers/hostile-images.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostileFiles } from '../fuzz-hostile.ts';
import { benchImages } from './fixtures.ts';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';

const GENERATED = join(PROJECT_ROOT, 'test/fixtures/generated/bench');

export interface LoadClass {
  name: string;
  kind: 'valid' | 'broken' | 'hostile';
  contentType: string;
  bytes: Uint8Array<ArrayBuffer>;
  /** statuses that count as a correct answer (a fixed service) */
  expect: readonly number[];
  /** relative share in the sustained mix */
  weight: number;
}

function own(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

function made(name: string, make: (path: string) => void): Uint8Array<ArrayBuffer> {
  const path = join(GENERATED, name);
  if (!existsSync(path)) make(path);
  return own(readFileSync(path));
}

export async function loadClasses(): Promise<LoadClass[]> {
  const bench = benchImages();
  const byName = (n: string) => bench.find((i) => i.name === n)!;
  const jpeg1 = byName('1mp.jpg');
  const jpeg12 = byName('12mp.jpg');
  const png1 = byName('1mp.png');
  const png12 = made('12mp.png', (p) => execFileSync('convert', [join(GENERATED, '12mp.jpg'), '-define', 'png:color-type=2', '-define', 'png:compression-level=3', p]));
  const webp1 = made('1mp.webp', (p) => execFileSync('cwebp', ['-quiet', '-q', '80', join(GENERATED, '1mp.png'), '-o', p]));
  const webp12 = made('12mp.webp', (p) => execFileSync('cwebp', ['-quiet', '-q', '80', join(GENERATED, '12mp.png'), '-o', p]));
  let seed = 99;
  const random = own(new Uint8Array(200_000).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24));
  const valid = (name: string, contentType: string, bytes: Uint8Array<ArrayBuffer>, weight: number): LoadClass =>
    ({ name, kind: 'valid', contentType, bytes, expect: [200], weight });
  const classes: LoadClass[] = [
    valid('1mp.jpg', 'image/jpeg', jpeg1.bytes, 6),
    valid('12mp.jpg', 'image/jpeg', jpeg12.bytes, 2),
    valid('1mp.png', 'image/png', png1.bytes, 6),
    valid('12mp.png', 'image/png', png12, 1),
    valid('1mp.webp', 'image/webp', webp1, 6),
    valid('12mp.webp', 'image/webp', webp12, 1),
    { name: 'random-bytes', kind: 'broken', contentType: 'application/octet-stream', bytes: random, expect: [415], weight: 1 },
    { name: 'jpeg-garbage-tail', kind: 'broken', contentType: 'image/jpeg', bytes: garbageTail(jpeg1.bytes), expect: [422], weight: 1 },
  ];
  for (const h of await hostileFiles()) {
    classes.push({ name: h.name, kind: 'hostile', contentType: h.contentType, bytes: own(h.bytes), expect: h.expect, weight: 1 });
  }
  return classes;
}

/** A real JPEG whose last two thirds are noise: the scan decoder has to notice. */
function garbageTail(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = own(bytes);
  let seed = 1;
  for (let i = Math.floor(out.length / 3); i < out.length - 2; i++) out[i] = (seed = (Math.imul(seed, 69069) + 1) >>> 0) >>> 24;
  return out;
}
