/**
 * `npm run deploy:setup`: creates the Cloudflare resources the service binds (KV namespace, R2 bucket, D1
 * database) with wrangler, writes their ids into wrangler.toml, applies the D1 migrations remotely, and makes the
 * first deploy with a fresh ADMIN_TOKEN secret. Safe to re-run: what exists is found and kept (`--rotate-token`
 * sets a new token). Needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) first.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createdId, needsId, withId } from './deploy-config.ts';
import { PROJECT_ROOT, wranglerBin } from './model-store.ts';

const run = promisify(execFile);
const CONFIG = join(PROJECT_ROOT, 'wrangler.toml');
const TOKEN_FILE = join(PROJECT_ROOT, '.edgehead', 'admin-token');

async function wrangler(args: string[]): Promise<string> {
  console.log(`$ wrangler ${args.join(' ')}`);
  try {
    const { stdout, stderr } = await run(process.execPath, [wranglerBin(), ...args], { cwd: PROJECT_ROOT, maxBuffer: 16 * 2 ** 20 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`wrangler ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** The JSON array in a command's output (wrangler may print a banner or warnings around it). */
function jsonArray<T>(output: string): T[] {
  const start = output.indexOf('[');
  const end = output.lastIndexOf(']');
  if (start === -1 || end < start) throw new Error(`expected a JSON list from wrangler, got:\n${output}`);
  return JSON.parse(output.slice(start, end + 1)) as T[];
}

function tomlString(toml: string, key: string): string {
  const match = new RegExp(`^${key}\\s*=\\s*"([^"]+)"`, 'm').exec(toml);
  if (!match) throw new Error(`wrangler.toml has no ${key}`);
  return match[1];
}

async function ensureKv(toml: string): Promise<string> {
  if (!needsId(toml, 'kv_namespaces', 'MODELS')) return toml;
  const existing = jsonArray<{ id: string; title: string }>(await wrangler(['kv', 'namespace', 'list']));
  const found = existing.find((ns) => ns.title === 'MODELS' || ns.title === 'edgehead-MODELS');
  const id = found?.id ?? createdId(await wrangler(['kv', 'namespace', 'create', 'MODELS']), 'kv_namespaces');
  return withId(toml, 'kv_namespaces', 'MODELS', id);
}

async function ensureD1(toml: string): Promise<string> {
  if (!needsId(toml, 'd1_databases', 'DB')) return toml;
  const name = tomlString(toml.slice(toml.indexOf('[[d1_databases]]')), 'database_name');
  const existing = jsonArray<{ uuid: string; name: string }>(await wrangler(['d1', 'list', '--json']));
  const id = existing.find((db) => db.name === name)?.uuid ?? createdId(await wrangler(['d1', 'create', name]), 'd1_databases');
  return withId(toml, 'd1_databases', 'DB', id);
}

async function ensureR2(toml: string): Promise<void> {
  const bucket = tomlString(toml.slice(toml.indexOf('[[r2_buckets]]')), 'bucket_name');
  const list = await wrangler(['r2', 'bucket', 'list']);
  if (new RegExp(`name:\\s+${bucket}\\s*$`, 'm').test(list)) return;
  await wrangler(['r2', 'bucket', 'create', bucket]).catch((error: Error) => {
    if (!/already exists/i.test(error.message)) throw error;
  });
}

/** The first deploy carries the secret (`--secrets-file`); later `npm run deploy`s keep it. */
async function deployWithToken(rotate: boolean): Promise<void> {
  const secrets = await wrangler(['secret', 'list', '--format', 'json']).catch(() => '[]');
  if (!rotate && secrets.includes('"ADMIN_TOKEN"')) {
    await wrangler(['deploy']);
    console.log('ADMIN_TOKEN was already set; kept it (--rotate-token sets a new one)');
    return;
  }
  const token = randomBytes(32).toString('hex');
  const secretsFile = join(PROJECT_ROOT, '.edgehead', 'deploy-secrets.json');
  await mkdir(join(PROJECT_ROOT, '.edgehead'), { recursive: true });
  await writeFile(secretsFile, JSON.stringify({ ADMIN_TOKEN: token }), { mode: 0o600 });
  try {
    await wrangler(['deploy', '--secrets-file', secretsFile]);
  } finally {
    await rm(secretsFile, { force: true });
  }
  await writeFile(TOKEN_FILE, `${token}\n`, { mode: 0o600 });
  console.log(`ADMIN_TOKEN set; it is in ${TOKEN_FILE} (git-ignored). Use it with: edgehead push --token "$(cat .edgehead/admin-token)"`);
}

async function main(args: string[]): Promise<void> {
  const whoami = await wrangler(['whoami']).catch((error: Error) => error.message);
  if (/not authenticated|failed/i.test(whoami)) throw new Error('wrangler is not logged in: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN) first');
  let toml = await readFile(CONFIG, 'utf8');
  toml = await ensureKv(toml);
  await ensureR2(toml);
  toml = await ensureD1(toml);
  await writeFile(CONFIG, toml);
  console.log('wrangler.toml: MODELS and DB ids written');
  await wrangler(['d1', 'migrations', 'apply', 'DB', '--remote']);
  await deployWithToken(args.includes('--rotate-token'));
  console.log('Next: publish the backbone with `npx edgehead backbone import URL --remote` (README "Deploying").');
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
