/**
 * `npm run check:bundle`: bundles the worker exactly as `wrangler deploy` would (`--dry-run`, offline, no account),
 * then measures what Cloudflare counts against the Worker size limit: the gzip-compressed size of every uploaded
 * module (JavaScript and wasm; source maps are not uploaded). Exits 1 over the limit.
 *   --outdir DIR      where to write the bundle (default: a temporary folder, removed afterwards)
 *   --limit-mib N     the limit to check against (default 10: Workers Paid, which the service needs; Free: 3)
 *   --no-build        measure the bundle already in --outdir
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { PROJECT_ROOT, wranglerBin } from './model-store.ts';

const run = promisify(execFile);
const MiB = 2 ** 20;
const WORKER_SIZE_LIMITS_MIB = { free: 3, paid: 10 } as const;

/** Compressed size of each module in a `wrangler deploy --outdir` folder, in bytes. */
async function compressedModuleSizes(outdir: string): Promise<Record<string, number>> {
  const names = (await readdir(outdir)).filter((name) => /\.(m?js|wasm)$/.test(name));
  const sizes: Record<string, number> = {};
  for (const name of names) sizes[name] = gzipSync(await readFile(join(outdir, name)), { level: 9 }).byteLength;
  return sizes;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { outdir: { type: 'string' }, 'limit-mib': { type: 'string' }, 'no-build': { type: 'boolean' } } });
  if (values['no-build'] && !values.outdir) throw new Error('--no-build measures the bundle in --outdir: give --outdir');
  const limitMib = Number(values['limit-mib'] ?? WORKER_SIZE_LIMITS_MIB.paid);
  if (!(limitMib > 0)) throw new Error(`--limit-mib must be a positive number, got ${values['limit-mib']}`);
  const outdir = values.outdir ?? (await mkdtemp(join(tmpdir(), 'edgehead-bundle-')));
  try {
    if (!values['no-build']) {
      await run(process.execPath, [wranglerBin(), 'deploy', '--dry-run', '--outdir', outdir], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
        maxBuffer: 16 * MiB,
      });
    }
    const sizes = await compressedModuleSizes(outdir);
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    for (const [name, bytes] of Object.entries(sizes)) console.log(`  ${name.padEnd(70)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB gzip`);
    const verdict = total <= limitMib * MiB ? 'within' : 'OVER';
    console.log(
      `worker bundle: ${(total / MiB).toFixed(2)} MiB gzip, ${verdict} the ${limitMib} MiB limit ` +
        `(Workers Free ${WORKER_SIZE_LIMITS_MIB.free} MiB, Paid ${WORKER_SIZE_LIMITS_MIB.paid} MiB)`,
    );
    return verdict === 'within' ? 0 : 1;
  } finally {
    if (!values.outdir) await rm(outdir, { recursive: true, force: true });
  }
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 2;
  },
);
