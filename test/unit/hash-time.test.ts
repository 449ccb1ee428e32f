import { expect, it } from 'vitest';
import { sha256Hex, toHex } from '../../shared/hash.ts';
import { compactUtcTimestamp } from '../../shared/time.ts';

it('hashes bytes to the known SHA-256 hex of "abc"', async () => {
  expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  expect(toHex(Uint8Array.of(0, 15, 255))).toBe('000fff');
});

it('stamps a UTC instant compactly, dropping milliseconds', () => {
  expect(compactUtcTimestamp(new Date('2026-12-05T20:29:11.123Z'))).toBe('20261205T202911Z');
});
