/**
 * SHA-256 of some bytes as 64 lowercase hex characters, via Web Crypto (workerd, Node 20 and browsers).
 * Used as a content version for published heads and models.
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Web Crypto's types refuse views that could be over a SharedArrayBuffer; ours never are.
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}

/** Bytes as lowercase hex, two characters per byte. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
