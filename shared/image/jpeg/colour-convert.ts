/** How component planes become RGB. */
export type ColourTransform = 'grey' | 'ycbcr' | 'rgb' | 'cmyk' | 'cmyk-inverted' | 'ycck';

/** One decoded component: 8-bit samples with a row stride, and the integer upsampling still to apply. */
export type PlaneSet = { data: Uint8ClampedArray; stride: number; upH: number; upV: number }[];

// JFIF YCbCr -> RGB (ITU-R BT.601 full range) as rounded integer tables over the chroma byte, the way
// libjpeg does it: integer stores into the clamped output are much cheaper than rounding floats.
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
/** Green terms in 16.16 fixed point; their sum is rounded once. */
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  CR_R[i] = Math.round(1.402 * (i - 128));
  CB_B[i] = Math.round(1.772 * (i - 128));
  CR_G[i] = Math.round(-0.714136286 * 65536 * (i - 128));
  CB_G[i] = Math.round(-0.344136286 * 65536 * (i - 128)) + 32768;
}

/**
 * Upsamples (by replication) and colour-converts component planes into interleaved RGB of
 * width x height pixels. Returns a new Uint8Array of width * height * 3 bytes.
 */
export function convertToRgb(planes: PlaneSet, width: number, height: number, transform: ColourTransform): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  // Writes through the clamped view round and limit to 0..255 for free.
  const o = new Uint8ClampedArray(out.buffer);
  const columns = planes.map((p) => {
    const idx = new Int32Array(width);
    for (let x = 0; x < width; x++) idx[x] = (x / p.upH) | 0;
    return idx;
  });
  const rowStart = (c: number, y: number): number => ((y / planes[c].upV) | 0) * planes[c].stride;
  let i = 0;
  if (transform === 'grey') {
    const p0 = planes[0].data, c0 = columns[0];
    for (let y = 0; y < height; y++) {
      const r0 = rowStart(0, y);
      for (let x = 0; x < width; x++, i += 3) {
        const g = p0[r0 + c0[x]];
        o[i] = g; o[i + 1] = g; o[i + 2] = g;
      }
    }
    return out;
  }
  const [p0, p1, p2] = [planes[0].data, planes[1].data, planes[2].data];
  const [c0, c1, c2] = columns;
  if (transform === 'ycbcr' || transform === 'rgb') {
    const ycc = transform === 'ycbcr';
    for (let y = 0; y < height; y++) {
      const r0 = rowStart(0, y), r1 = rowStart(1, y), r2 = rowStart(2, y);
      if (ycc) {
        for (let x = 0; x < width; x++, i += 3) {
          const l = p0[r0 + c0[x]], cb = p1[r1 + c1[x]], cr = p2[r2 + c2[x]];
          o[i] = l + CR_R[cr];
          o[i + 1] = l + ((CB_G[cb] + CR_G[cr]) >> 16);
          o[i + 2] = l + CB_B[cb];
        }
      } else {
        for (let x = 0; x < width; x++, i += 3) {
          o[i] = p0[r0 + c0[x]]; o[i + 1] = p1[r1 + c1[x]]; o[i + 2] = p2[r2 + c2[x]];
        }
      }
    }
    return out;
  }
  const p3 = planes[3].data, c3 = columns[3];
  for (let y = 0; y < height; y++) {
    const r0 = rowStart(0, y), r1 = rowStart(1, y), r2 = rowStart(2, y), r3 = rowStart(3, y);
    for (let x = 0; x < width; x++, i += 3) {
      let c = p0[r0 + c0[x]], m = p1[r1 + c1[x]], yy = p2[r2 + c2[x]];
      const k = p3[r3 + c3[x]];
      if (transform === 'ycck') {
        // YCCK is YCbCr of the (inverted, Adobe-style) C, M, Y values; undo it first as libjpeg does.
        const l = c, cb = m, cr = yy;
        c = 255 - clamp(l + CR_R[cr]);
        m = 255 - clamp(l + ((CB_G[cb] + CR_G[cr]) >> 16));
        yy = 255 - clamp(l + CB_B[cb]);
      }
      if (transform === 'cmyk') {
        // Plain CMYK: 0 = no ink.
        o[i] = ((255 - c) * (255 - k)) / 255;
        o[i + 1] = ((255 - m) * (255 - k)) / 255;
        o[i + 2] = ((255 - yy) * (255 - k)) / 255;
      } else {
        // Adobe CMYK (and YCCK after the step above): 255 = no ink.
        o[i] = (c * k) / 255;
        o[i + 1] = (m * k) / 255;
        o[i + 2] = (yy * k) / 255;
      }
    }
  }
  return out;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
