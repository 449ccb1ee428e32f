/**
 * SHA-256 of some bytes as 64 lowercase hex characters, via Web Crypto (workerd, Node 20 and browsers).
 * Used as a content version for published heads and models.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(await sha256(bytes));
}

/**
 * SHA-256 of some bytes (or of a string's UTF-8), 32 bytes, via Web Crypto: the core's one digest (content
 * versions, example ids, constant-time token comparison). The Node CLI's synchronous twin is
 * trainer/backbone-source.ts `sha256File` (node:crypto), for hashing whole folders of photos.
 */
export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  // Web Crypto's types refuse views that could be over a SharedArrayBuffer; ours never are.
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

/** Bytes as lowercase hex, two characters per byte. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** The CRC-32 table (reflected polynomial 0xedb88320), 1 KiB, built once at load. */
const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309 / IEEE 802.3, as in PNG and zip) of bytes[start, end): PNG chunks and the head format. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
