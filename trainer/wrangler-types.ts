/**
 * `npm run types` regenerates workers/worker-configuration.d.ts (the `Env` types) from wrangler.toml;
 * `npm run check:types` (in `npm test`) fails when the committed file is not what wrangler generates now.
 * wrangler also types the secrets of a local `.dev.vars` (which `npm start` writes), so both run in a scratch folder
 * holding a copy of wrangler.toml and links to the sources: the result depends on wrangler.toml alone.
 *   --check   compare only (exit 1 when out of date)
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT, wranglerBin } from './model-store.ts';

const run = promisify(execFile);
const TYPES_FILE = 'workers/worker-configuration.d.ts';
const LINKED = ['workers', 'shared', 'migrations', 'node_modules', 'package.json'];

async function main(check: boolean): Promise<number> {
  const config = process.env.EDGEHEAD_WRANGLER_CONFIG ?? join(PROJECT_ROOT, 'wrangler.toml');
  const scratch = await mkdtemp(join(tmpdir(), 'edgehead-types-'));
  try {
    await copyFile(config, join(scratch, 'wrangler.toml'));
    for (const name of LINKED) await symlink(join(PROJECT_ROOT, name), join(scratch, name));
    const args = [wranglerBin(), 'types', TYPES_FILE, '--include-runtime=false', '--strict-vars=false', ...(check ? ['--check'] : [])];
    await run(process.execPath, args, { cwd: scratch, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
    console.log(check ? `${TYPES_FILE} is current with wrangler.toml` : `${TYPES_FILE} regenerated from wrangler.toml`);
    return 0;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    const what = check ? `${TYPES_FILE} is out of date with wrangler.toml: run \`npm run types\` and commit it` : 'wrangler types failed';
    console.error(`${what}\n${stdout}${stderr}`);
    return 1;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

main(process.argv.includes('--check')).then((code) => (process.exitCode = code));
