import type { JpegLimits } from '../../config.ts';
import { UndecodableImageError } from '../../errors.ts';
import type { Component, Frame } from './jpeg-frame.ts';

/* Counting a decode's work against the JPEG limits, and skipping the scans a scale never reads. */

/**
 * The work a decode did, counted, for callers (tests, benchmarks) that assert bounds on it: scans met,
 * scans decoded, AC scans skipped without Huffman decoding (nothing they hold is needed at this scale),
 * blocks visited by the decoded progressive scans, and bytes of progressive coefficient buffers allocated.
 */
export interface JpegDecodeStats {
  scans: number;
  scansDecoded: number;
  scansSkipped: number;
  blockVisits: number;
  coefficientBytes: number;
}

/** A fresh {@link JpegDecodeStats} with every count at zero. */
export function emptyJpegStats(): JpegDecodeStats {
  return { scans: 0, scansDecoded: 0, scansSkipped: 0, blockVisits: 0, coefficientBytes: 0 };
}

/** Blocks a scan over `comps` visits: every block of a lone component, else every MCU's blocks. */
export function scanBlocks(frame: Frame, comps: Component[]): number {
  if (comps.length === 1) return comps[0].blocksPerLine * comps[0].blocksPerColumn;
  return frame.mcusPerLine * frame.mcusPerColumn * comps.reduce((sum, c) => sum + c.h * c.v, 0);
}

/**
 * Adds a progressive scan's block visits to the count, refusing it first when the decoded scans would visit
 * more than `maxBlockVisitsPerBlock` times the frame's blocks (a scan flood: real encoders stay near 6).
 */
export function chargeBlockVisits(frame: Frame, comps: Component[], limits: JpegLimits, stats: JpegDecodeStats): void {
  const frameBlocks = frame.components.reduce((sum, c) => sum + c.blocksPerLineAlloc * c.blocksPerColumnAlloc, 0);
  const budget = limits.maxBlockVisitsPerBlock * frameBlocks;
  const visits = scanBlocks(frame, comps);
  if (stats.blockVisits + visits > budget) {
    throw new UndecodableImageError(
      `progressive JPEG scans would visit its ${frameBlocks} blocks more than ${limits.maxBlockVisitsPerBlock} times each ` +
      `(${stats.blockVisits + visits} visits by scan ${stats.scans}); at most ${limits.maxBlockVisitsPerBlock} are accepted`,
      'decode_budget_exceeded',
    );
  }
  stats.blockVisits += visits;
}

/** Position of the marker that ends the entropy-coded data starting at `start` (stuffed 0xFF00 and RSTn are data). */
export function skipEntropyData(bytes: Uint8Array, start: number): number {
  let p = start;
  for (;;) {
    const ff = bytes.indexOf(0xff, p);
    if (ff < 0 || ff + 1 >= bytes.length) return bytes.length;
    const next = bytes[ff + 1];
    if (next !== 0 && !(next >= 0xd0 && next <= 0xd7)) return ff;
    p = ff + 2;
  }
}
