/**
 * The contract between the `bench/*.bench.ts` scripts and `bench/run-all.ts`: each script, run on its own
 * (`npx tsx bench/NAME.bench.ts`), writes its Markdown section and its figures as
 * `bench/out/NAME.md` and `bench/out/NAME.json`; run-all concatenates them, in name order, into BENCHMARKS.md and
 * bench/results.json. bench/out/ is git-ignored.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const OUT_DIR = join(BENCH_DIR, 'out');

/** @param scriptUrl the bench script's `import.meta.url` (names the section) */
export function writeSection(scriptUrl: string, markdown: string, data: unknown): void {
  const name = basename(fileURLToPath(scriptUrl)).replace(/\.bench\.ts$/, '');
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, `${name}.md`), markdown.trimEnd() + '\n');
  writeFileSync(join(OUT_DIR, `${name}.json`), JSON.stringify(data, null, 2) + '\n');
}

/** A Markdown table from a header row and body rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
