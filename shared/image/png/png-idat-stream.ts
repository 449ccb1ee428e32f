import { Inflate } from 'fflate';
import { UndecodableImageError } from '../../errors.ts';
import type { PngHeader } from './png-chunks.ts';
import { rowToRgb, unfilterRow, type PngColours } from './png-rows.ts';
import type { BoxTarget, PngPass } from './png-target.ts';

/**
 * Compressed bytes handed to the inflater per push. Deflate expands at most ~1032:1, so a slice of
 * `remaining / 1032` bytes cannot overshoot the header's size by more than one MIN_SLICE (~1 MiB); and the
 * slice follows the ratio seen on the previous push so that one push yields about TARGET_OUTPUT bytes:
 * ~1 KiB slices for runs of zeros (fflate allocates each push's output at once), up to 16 KiB for photos, so
 * one push never yields more than ~16 MiB. The first push assumes the worst ratio.
 */
const MIN_SLICE = 1024;
const MAX_SLICE = 16384;
const TARGET_OUTPUT = 1 << 20;
/** Compressed bytes inflated after the last row at most (the zlib trailer needs 4 and a 16 KiB slice catches overlong data). */
const MAX_TRAILING = 64 << 10;

/** Counted work of one decode, for limits and tests. */
export interface PngDecodeStats {
  /** bytes produced by the inflater (IDAT only: no ancillary chunk is ever inflated) */
  inflatedBytes: number;
  /** compressed bytes handed to the inflater (after the last row, at most MAX_TRAILING more) */
  compressedBytesInflated: number;
  /** bytes the header's rows need: what a valid image inflates to */
  expectedBytes: number;
  /** rows unfiltered, over all passes */
  rows: number;
  /** source pixels converted */
  pixels: number;
  /** bytes of pixel buffers the decoder allocated: output, its sums, row buffers */
  allocatedBytes: number;
}

/**
 * Inflates the IDAT stream incrementally and feeds whole rows (unfiltered, converted to RGB) into the
 * target, holding only the current and previous row of the current pass. Inflating stops as soon as the
 * stream yields more than the header's rows need.
 */
export class IdatStream {
  private readonly inflater: Inflate;
  private zlibHeader = new Uint8Array(2);
  private headerSeen = 0;
  /** output/input bytes of the last push */
  private ratio = 1032;
  /** compressed bytes pushed after every row was in */
  private trailing = 0;
  private pass = 0;
  private row = 0;
  private fill = 0;
  private cur: Uint8Array;
  private prev: Uint8Array;
  private readonly rgb: Uint8Array;
  private readonly bpp: number;

  constructor(
    private readonly header: PngHeader, private readonly colours: PngColours, private readonly passes: PngPass[],
    private readonly target: BoxTarget, readonly stats: PngDecodeStats,
  ) {
    const widest = Math.max(...passes.map((p) => p.rowBytes));
    this.cur = new Uint8Array(widest);
    this.prev = new Uint8Array(widest);
    this.rgb = new Uint8Array(Math.max(...passes.map((p) => p.width)) * 3);
    stats.allocatedBytes += this.cur.length + this.prev.length + this.rgb.length;
    this.bpp = Math.max(1, (header.depth * header.channels) >> 3);
    stats.expectedBytes = passes.reduce((sum, p) => sum + p.rowBytes * p.height, 0);
    this.inflater = new Inflate((chunk) => this.take(chunk));
  }

  /** Feeds one IDAT chunk's bytes. */
  push(bytes: Uint8Array): void {
    let start = 0;
    while (this.headerSeen < 2 && start < bytes.length) this.zlibHeader[this.headerSeen++] = bytes[start++];
    if (this.headerSeen === 2 && start > 0) checkZlibHeader(this.zlibHeader);
    for (let p = start; p < bytes.length;) {
      const remaining = this.stats.expectedBytes - this.stats.inflatedBytes;
      const byRatio = Math.floor(TARGET_OUTPUT / this.ratio);
      let slice = Math.max(MIN_SLICE, Math.min(MAX_SLICE, byRatio, Math.floor(remaining / 1032)));
      if (remaining <= 0) {
        // Every row is in. What follows is the stream's end, or extra data libpng ignores ("extra compressed data");
        // it is inflated only far enough to catch data that keeps producing rows, because past the stream's end
        // fflate keeps every byte pushed and copies it again on each push (quadratic in repeated IDATs).
        slice = Math.min(slice, MAX_TRAILING - this.trailing);
        if (slice <= 0) return;
        this.trailing += Math.min(slice, bytes.length - p);
      }
      const before = this.stats.inflatedBytes;
      const piece = bytes.subarray(p, Math.min(bytes.length, p + slice));
      this.stats.compressedBytesInflated += piece.length;
      this.inflate(piece, false);
      this.ratio = Math.max(1, (this.stats.inflatedBytes - before) / piece.length);
      p += slice;
    }
  }

  /** Ends the stream; throws when it or the rows it carried stop short of what the header declares. */
  finish(): void {
    if (this.headerSeen < 2) throw new UndecodableImageError('truncated PNG: the image data ends before its zlib header');
    this.inflate(new Uint8Array(0), true);
    if (this.stats.inflatedBytes < this.stats.expectedBytes) {
      throw new UndecodableImageError(
        `truncated PNG: the image data inflates to ${this.stats.inflatedBytes} bytes; its ${this.header.width}x${this.header.height} header needs ${this.stats.expectedBytes}`,
      );
    }
  }

  private inflate(slice: Uint8Array, final: boolean): void {
    try {
      this.inflater.push(slice, final);
    } catch (error) {
      if (error instanceof UndecodableImageError) throw error;
      throw new UndecodableImageError(`corrupt PNG: the image data does not inflate (${(error as Error).message})`);
    }
  }

  private take(chunk: Uint8Array): void {
    const stats = this.stats;
    stats.inflatedBytes += chunk.length;
    let p = 0;
    while (p < chunk.length) {
      const pass = this.passes[this.pass];
      if (!pass) {
        throw new UndecodableImageError(
          `corrupt PNG: image data longer than its header declares (${this.header.width}x${this.header.height} needs ${stats.expectedBytes} bytes)`,
        );
      }
      const n = Math.min(pass.rowBytes - this.fill, chunk.length - p);
      this.cur.set(chunk.subarray(p, p + n), this.fill);
      this.fill += n;
      p += n;
      if (this.fill === pass.rowBytes) this.endRow(pass);
    }
  }

  private endRow(pass: PngPass): void {
    const row = this.cur.subarray(0, pass.rowBytes);
    unfilterRow(row, this.prev, this.bpp);
    rowToRgb(row, pass.width, this.header, this.colours, this.rgb);
    this.target.addRow(pass, this.row, this.rgb);
    this.stats.rows++;
    this.stats.pixels += pass.width;
    [this.cur, this.prev] = [this.prev, this.cur];
    this.fill = 0;
    if (++this.row === pass.height) {
      this.row = 0;
      this.pass++;
      this.prev.fill(0);
    }
  }
}

function checkZlibHeader(h: Uint8Array): void {
  const cmf = h[0], flg = h[1];
  if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0) {
    throw new UndecodableImageError('corrupt PNG: the image data does not start with a zlib deflate header');
  }
  if (flg & 0x20) throw new UndecodableImageError('corrupt PNG: the image data asks for a preset zlib dictionary');
}
