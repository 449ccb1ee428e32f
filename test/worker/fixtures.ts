/** Reads the fixture pack vitest binds as FIXTURES (see test/helpers/fixture-pack.ts). */
import { env } from 'cloudflare:test';

let index: Map<string, Uint8Array> | undefined;

function load(): Map<string, Uint8Array> {
  if (index) return index;
  const pack = env.FIXTURES;
  const headerLength = new DataView(pack).getUint32(0, true);
  const entries = JSON.parse(new TextDecoder().decode(new Uint8Array(pack, 4, headerLength))) as { name: string; offset: number; length: number }[];
  const base = 4 + headerLength;
  index = new Map(entries.map((e) => [e.name, new Uint8Array(pack, base + e.offset, e.length)]));
  return index;
}

export function fixture(name: string): Uint8Array {
  const bytes = load().get(name);
  if (!bytes) throw new Error(`no fixture ${name} in the pack`);
  return bytes.slice();
}

export function fixtureNames(prefix: string): string[] {
  return [...load().keys()].filter((name) => name.startsWith(prefix)).sort();
}
