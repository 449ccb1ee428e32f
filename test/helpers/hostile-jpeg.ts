/**
 * Writes valid JPEGs whose every coefficient is zero, baseline or with any progressive scan script (the one such
 * writer; hostile-images.ts builds its JPEG cases on it): the cheapest way to
 * make scan floods (thousands of scans over a huge frame in a few hundred KB). Pure (no Node APIs): the worker
 * tests use it inside workerd too.
 */
export interface ZeroScan {
  /** Component indexes (0-based, frame order). */
  comps: number[];
  ss: number;
  se: number;
  ah: number;
  al: number;
}

export interface ZeroJpegSpec {
  width: number;
  height: number;
  /** Sampling factors per component. */
  sampling: [number, number][];
  progressive: boolean;
  scans: ZeroScan[];
}

class BitWriter {
  readonly out: number[] = [];
  private acc = 0;
  private n = 0;

  write(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.emit();
    }
  }

  private emit(): void {
    this.out.push(this.acc);
    if (this.acc === 0xff) this.out.push(0);
    this.acc = 0;
    this.n = 0;
  }

  flush(): void {
    while (this.n !== 0) this.write(1, 1);
  }
}

const segment = (marker: number, body: number[]): number[] => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];

/**
 * DC table 0: the one symbol 0 (no difference) as code `0`. AC table 0: EOB as code `0`, EOB runs r=1..14 as
 * 5-bit codes 10000.. (run symbol r<<4).
 */
const DHT = segment(0xc4, [
  0x00, 1, ...new Array(15).fill(0), 0,
  0x10, 1, 0, 0, 0, 14, ...new Array(11).fill(0), 0, ...Array.from({ length: 14 }, (_, i) => (i + 1) << 4),
]);

function writeEobRun(w: BitWriter, blocks: number): void {
  while (blocks > 0) {
    const r = Math.min(14, Math.floor(Math.log2(blocks)));
    const run = Math.min(blocks, (1 << (r + 1)) - 1);
    if (r === 0) w.write(0, 1);
    else {
      w.write(0b10000 + r - 1, 5);
      w.write(run - (1 << r), r);
    }
    blocks -= run;
  }
}

/** An all-zero JPEG (mid grey) of the given frame and scans. */
export function zeroJpeg(spec: ZeroJpegSpec): Uint8Array<ArrayBuffer> {
  const { width, height, sampling } = spec;
  const hMax = Math.max(...sampling.map((s) => s[0])), vMax = Math.max(...sampling.map((s) => s[1]));
  const mcusX = Math.ceil(width / (8 * hMax)), mcusY = Math.ceil(height / (8 * vMax));
  const out: number[] = [0xff, 0xd8];
  out.push(...segment(0xdb, [0, ...new Array(64).fill(1)]));
  out.push(...segment(spec.progressive ? 0xc2 : 0xc0, [8, height >> 8, height & 255, width >> 8, width & 255, sampling.length,
    ...sampling.flatMap(([h, v], i) => [i + 1, (h << 4) | v, 0])]));
  out.push(...DHT);
  for (const scan of spec.scans) {
    out.push(...segment(0xda, [scan.comps.length, ...scan.comps.flatMap((c) => [c + 1, 0x00]), scan.ss, scan.se, (scan.ah << 4) | scan.al]));
    const w = new BitWriter();
    const blocks = scan.comps.length === 1
      ? Math.ceil(Math.ceil((width * sampling[scan.comps[0]][0]) / hMax) / 8) * Math.ceil(Math.ceil((height * sampling[scan.comps[0]][1]) / vMax) / 8)
      : mcusX * mcusY * scan.comps.reduce((sum, c) => sum + sampling[c][0] * sampling[c][1], 0);
    if (!spec.progressive) for (let b = 0; b < blocks; b++) w.write(0, 2);
    else if (scan.ss === 0) for (let b = 0; b < blocks; b++) w.write(0, 1);
    else writeEobRun(w, blocks);
    w.flush();
    for (const b of w.out) out.push(b);
  }
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

/**
 * The scan flood: a 4:2:0 progressive frame, a DC scan, then every AC coefficient of every component in a band
 * of its own, first at Al = 13 and refined bit by bit down to 0: 1 + 3 * 63 * 14 = 2,647 scans, each
 * legal on its own.
 */
export function scanFloodJpeg(width = 7000, height = 7000, maxScans = Infinity): Uint8Array<ArrayBuffer> {
  const scans: ZeroScan[] = [{ comps: [0, 1, 2], ss: 0, se: 0, ah: 0, al: 0 }];
  for (let c = 0; c < 3; c++) {
    for (let k = 1; k <= 63; k++) {
      scans.push({ comps: [c], ss: k, se: k, ah: 0, al: 13 });
      for (let al = 12; al >= 0; al--) scans.push({ comps: [c], ss: k, se: k, ah: al + 1, al });
    }
  }
  return zeroJpeg({ width, height, sampling: [[2, 2], [1, 1], [1, 1]], progressive: true, scans: scans.slice(0, maxScans) });
}
