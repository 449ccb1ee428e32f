/** The benchmark's inputs: the backbone and photos from ../shared, and images of set sizes generated from them. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from '../../trainer/model-store.ts';

export const SHARED_DIR = resolve(PROJECT_ROOT, '../shared');
export const BACKBONE_NAME = 'mobilenet_v2_1.0_224_quant';
export const BACKBONE_PATH = join(SHARED_DIR, 'backbones', `${BACKBONE_NAME}.tflite`);
const GENERATED = join(PROJECT_ROOT, 'test/fixtures/generated/bench');

/** A copy in its own ArrayBuffer (Node's Buffers share a pool), usable as a fetch body. */
function readBytes(path: string): Uint8Array<ArrayBuffer> {
  const buffer = readFileSync(path);
  const bytes = new Uint8Array(new ArrayBuffer(buffer.byteLength));
  bytes.set(buffer);
  return bytes;
}

export function backboneBytes(): Uint8Array<ArrayBuffer> {
  return readBytes(BACKBONE_PATH);
}

export interface BenchImage {
  name: string;
  label: string;
  width: number;
  height: number;
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
}

/**
 * Photos at the sizes the issue names, made once with ImageMagick from `cat_1080p.jpg` (a real photo, so the
 * entropy-coded data is realistic) and cached in test/fixtures/generated/bench (git-ignored).
 */
export function benchImages(): BenchImage[] {
  mkdirSync(GENERATED, { recursive: true });
  const source = join(SHARED_DIR, 'images', 'cat_1080p.jpg');
  const specs = [
    { name: '0.3mp.jpg', label: '0.3 MP JPEG', width: 640, height: 480, type: 'image/jpeg' },
    { name: '1mp.jpg', label: '1 MP JPEG', width: 1152, height: 864, type: 'image/jpeg' },
    { name: '12mp.jpg', label: '12 MP JPEG', width: 4000, height: 3000, type: 'image/jpeg' },
    { name: '1mp.png', label: '1 MP PNG', width: 1152, height: 864, type: 'image/png' },
  ];
  return specs.map((s) => {
    const path = join(GENERATED, s.name);
    if (!existsSync(path)) {
      // 4:2:0 JPEG at quality 90, as phone cameras write them; PNG as RGB.
      const extra = s.type === 'image/jpeg' ? ['-sampling-factor', '2x2', '-quality', '90'] : ['-define', 'png:color-type=2'];
      execFileSync('convert', [source, '-resize', `${s.width}x${s.height}!`, '-strip', ...extra, path]);
    }
    return { ...s, bytes: readBytes(path) };
  });
}
