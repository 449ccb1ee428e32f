/**
 * The fuzz harness's seed inputs: real photos from ../shared converted at run time (ImageMagick, cwebp) into
 * the git-ignored test/fixtures/generated/fuzz, in the containers and codings the decoders take. Small images
 * (about 0.1 MP), so ten thousand cases take minutes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DIR, requireTool } from '../helpers/image-fixtures.ts';
import { SHARED_DIR } from '../helpers/node-fixtures.ts';

export const FUZZ_DIR = join(GENERATED_DIR, 'fuzz');

interface SourceSpec {
  name: string;
  from: string;
  /** ImageMagick arguments after the input (resize, coding), or 'cwebp' arguments for WebP */
  convert?: string[];
  cwebp?: string[];
}

const PHOTO_A = 'images/hot_dog.jpg';
const PHOTO_B = 'datasets/hymenoptera/train/ants/0013035.jpg';
const PHOTO_C = 'datasets/catsdogs/train/cats/cat.1.jpg';

export const SOURCE_SPECS: readonly SourceSpec[] = [
  { name: 'baseline-420.jpg', from: PHOTO_A, convert: ['-resize', '320x240', '-sampling-factor', '2x2', '-quality', '85'] },
  { name: 'progressive-420.jpg', from: PHOTO_B, convert: ['-resize', '320x240', '-interlace', 'JPEG', '-sampling-factor', '2x2', '-quality', '80'] },
  { name: 'baseline-444-restart.jpg', from: PHOTO_C, convert: ['-resize', '300x225', '-sampling-factor', '1x1', '-define', 'jpeg:restart-interval=4'] },
  { name: 'grey-progressive.jpg', from: PHOTO_A, convert: ['-resize', '256x192', '-colorspace', 'Gray', '-interlace', 'JPEG'] },
  { name: 'cmyk.jpg', from: PHOTO_B, convert: ['-resize', '160x120', '-colorspace', 'CMYK'] },
  { name: 'rgb.png', from: PHOTO_C, convert: ['-resize', '240x180', '-define', 'png:color-type=2'] },
  { name: 'palette-interlaced.png', from: PHOTO_A, convert: ['-resize', '200x150', '-colors', '64', '-interlace', 'PNG', '-define', 'png:color-type=3'] },
  { name: 'rgba16.png', from: PHOTO_B, convert: ['-resize', '128x96', '-alpha', 'on', '-depth', '16', '-define', 'png:color-type=6'] },
  { name: 'lossy.webp', from: PHOTO_C, cwebp: ['-q', '75', '-resize', '320', '240'] },
  { name: 'lossless.webp', from: PHOTO_A, cwebp: ['-lossless', '-resize', '200', '150'] },
  { name: 'lossy-alpha.webp', from: PHOTO_B, cwebp: ['-q', '60', '-alpha_q', '50', '-resize', '240', '180'] },
];

/** Makes the sources once (cached) and returns their paths, in SOURCE_SPECS order. */
export function fuzzSourcePaths(): string[] {
  mkdirSync(FUZZ_DIR, { recursive: true });
  return SOURCE_SPECS.map((spec) => {
    const path = join(FUZZ_DIR, spec.name);
    if (existsSync(path)) return path;
    const input = join(SHARED_DIR, spec.from);
    if (spec.cwebp) {
      requireTool('cwebp');
      // cwebp keeps alpha only when the input has some; give the alpha variant a fading edge through convert.
      const png = `${path}.tmp.png`;
      requireTool('convert');
      execFileSync('convert', [input, '-alpha', 'set', '-channel', 'A', '-fx', 'min(1,i/w*2)', '+channel', png]);
      execFileSync('cwebp', ['-quiet', ...spec.cwebp, png, '-o', path]);
      execFileSync('rm', ['-f', png]);
    } else {
      requireTool('convert');
      execFileSync('convert', [input, '-strip', ...spec.convert!, path]);
    }
    return path;
  });
}
