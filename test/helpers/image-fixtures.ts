import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Git-ignored folder where the image tests write the fixtures they generate. */
export const GENERATED_DIR = fileURLToPath(new URL('../fixtures/generated/', import.meta.url));

/** A read-only fixture from the shared folder beside the checkout (`/work/shared/...`). */
export function sharedFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../../../shared/${relative}`, import.meta.url)));
}

const TOOL_PACKAGES: Record<string, string> = {
  cjpeg: 'libjpeg-turbo-progs', djpeg: 'libjpeg-turbo-progs', jpegtran: 'libjpeg-turbo-progs', convert: 'imagemagick',
  cwebp: 'webp', dwebp: 'webp',
};

/** Fails (never skips) when a command-line tool the tests rely on is missing, naming the Debian package. */
export function requireTool(name: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!found) {
    throw new Error(`the image tests need \`${name}\`: apt-get install -y ${TOOL_PACKAGES[name] ?? name}`);
  }
}

/** Runs a tool with bytes on stdin and returns its stdout. */
export function run(tool: string, args: string[], input?: Uint8Array): Uint8Array {
  requireTool(tool);
  return new Uint8Array(execFileSync(tool, args, { input, maxBuffer: 1 << 30 }));
}

/**
 * Returns the bytes of a generated fixture, making it with `make` the first time. The folder is
 * git-ignored and can be deleted at any time.
 */
export function generated(name: string, make: () => Uint8Array): Uint8Array {
  mkdirSync(GENERATED_DIR, { recursive: true });
  const path = GENERATED_DIR + name;
  if (existsSync(path)) return new Uint8Array(readFileSync(path));
  const bytes = make();
  writeFileSync(path, bytes);
  return bytes;
}

/** Path of a generated fixture (after `generated` has made it), for tools that want a file. */
export function generatedPath(name: string): string {
  return GENERATED_DIR + name;
}

export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** Parses binary PGM (P5) or PPM (P6) with maxval 255, as written by djpeg. */
export function readPnm(bytes: Uint8Array): Pixels {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (/\s/.test(String.fromCharCode(bytes[pos]))) pos++;
      if (bytes[pos] === 0x23) while (bytes[pos] !== 0x0a) pos++;
      else break;
    }
    let s = '';
    while (!/\s/.test(String.fromCharCode(bytes[pos]))) s += String.fromCharCode(bytes[pos++]);
    return s;
  };
  const magic = token();
  const width = Number(token());
  const height = Number(token());
  const max = Number(token());
  pos++;
  if ((magic !== 'P5' && magic !== 'P6') || max !== 255) throw new Error(`unsupported PNM ${magic} max ${max}`);
  const channels = magic === 'P6' ? 3 : 1;
  return { data: bytes.subarray(pos, pos + width * height * channels), width, height, channels };
}

/** Writes binary PPM (RGB) or PGM (grey). */
export function writePnm(p: Pixels): Uint8Array {
  const header = new TextEncoder().encode(`${p.channels === 3 ? 'P6' : 'P5'}\n${p.width} ${p.height}\n255\n`);
  const out = new Uint8Array(header.length + p.data.length);
  out.set(header);
  out.set(p.data, header.length);
  return out;
}

/** Mean absolute difference per channel between two interleaved images of the same shape. */
export function meanAbsDiff(a: Pixels, b: Pixels): number[] {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(`shape ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`);
  }
  const sums = new Array<number>(a.channels).fill(0);
  for (let i = 0; i < a.data.length; i++) sums[i % a.channels] += Math.abs(a.data[i] - b.data[i]);
  return sums.map((s) => s / (a.width * a.height));
}

/**
 * A synthetic RGB test card: smooth gradients plus hard edges, so decoders are exercised on both.
 * Deterministic.
 */
export function testCard(width: number, height: number): Pixels {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const band = ((x >> 5) + (y >> 5)) & 1;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = band ? 200 : 40;
    }
  }
  return { data, width, height, channels: 3 };
}

/**
 * Inserts an APP1 Exif segment holding only an orientation tag right after the JPEG SOI marker,
 * in little-endian ("II") or big-endian ("MM") TIFF byte order.
 */
export function withExifOrientation(jpeg: Uint8Array, orientation: number, littleEndian: boolean): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const v = new DataView(tiff.buffer);
  tiff.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 42, littleEndian);
  v.setUint32(4, 8, littleEndian);
  v.setUint16(8, 1, littleEndian);
  v.setUint16(10, 0x0112, littleEndian);
  v.setUint16(12, 3, littleEndian);
  v.setUint32(14, 1, littleEndian);
  v.setUint16(18, orientation, littleEndian);
  const payload = [...new TextEncoder().encode('Exif'), 0, 0, ...tiff];
  const length = payload.length + 2;
  const segment = new Uint8Array([0xff, 0xe1, length >> 8, length & 0xff, ...payload]);
  const out = new Uint8Array(jpeg.length + segment.length);
  out.set(jpeg.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpeg.subarray(2), 2 + segment.length);
  return out;
}
