/**
 * Node's handle on the MODELS namespace: by default the very local state `npm start` (wrangler dev)
 * serves, opened through wrangler's `getPlatformProxy` (miniflare, SQLite, safe beside a running dev
 * server); with `remote`, the deployed namespace through the wrangler CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { NotReadyError } from '../shared/errors.ts';
import { validateModelName } from '../shared/models/model-name.ts';
import type { KvLike } from '../shared/store/kv-like.ts';
import { wranglerCommand } from './process-tether.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);

/** The project root: where wrangler.toml and the local state live. */
export const PROJECT_ROOT = resolve(new URL('..', import.meta.url).pathname);
/**
 * The local state folder: `wrangler dev --persist-to` takes it and keeps its state in `v3/` below it. The CLI
 * resolves `--state` (see service-record.ts) into EDGEHEAD_STATE_DIR before a command runs.
 */
export function localStateDir(): string {
  return process.env.EDGEHEAD_STATE_DIR ? resolve(process.env.EDGEHEAD_STATE_DIR) : DEFAULT_STATE_DIR;
}
export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, '.wrangler', 'state');

export interface OpenStore {
  kv: KvLike;
  where: string;
  /** Registers a named model in the D1 `models` table unless it is there (a head published for it must be findable). */
  ensureModel(name: string): Promise<void>;
  close(): Promise<void>;
}

/** `name` is a validated model name ([a-z0-9-]), so it can sit in the SQL text the remote path needs. */
function ensureModelSql(name: string): string {
  validateModelName(name);
  return `INSERT INTO models (name, created_at) VALUES ('${name}', '${new Date().toISOString()}') ON CONFLICT (name) DO NOTHING`;
}

export function wranglerBin(): string {
  return require.resolve('wrangler/bin/wrangler.js');
}

async function openLocal(): Promise<OpenStore> {
  // wrangler logs "Using secrets defined in .dev.vars" on stdout, which is the CLI's --json output; the CLI
  // needs no secrets, so only warnings and errors get through.
  process.env.WRANGLER_LOG ??= 'warn';
  const { getPlatformProxy } = await import('wrangler');
  const proxy = await getPlatformProxy<{ MODELS: KvLike; DB: { prepare(sql: string): { run(): Promise<unknown> } } }>({
    configPath: join(PROJECT_ROOT, 'wrangler.toml'),
    persist: { path: join(localStateDir(), 'v3') },
  });
  const ensureModel = async (name: string) => {
    try {
      await proxy.env.DB.prepare(ensureModelSql(name)).run();
    } catch (error) {
      throw new NotReadyError(`cannot register model ${name} in the local D1 (${(error as Error).message}); run \`npm start\` once, which applies the migrations`, 'no_database');
    }
  };
  return { kv: proxy.env.MODELS, where: `local state in ${localStateDir()}`, ensureModel, close: () => proxy.dispose() };
}

/** A deployed namespace, through `wrangler kv key get|put --remote` (needs `wrangler login` and a real namespace id). */
class RemoteKv implements KvLike {
  constructor(private readonly scratch: string) {}

  private wrangler(args: string[]) {
    const { command, args: argv } = wranglerCommand(['kv', 'key', ...args, '--binding', 'MODELS', '--remote']);
    return run(command, argv, {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'buffer',
    });
  }

  async get(key: string, type: 'text'): Promise<string | null>;
  async get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>;
  async get(key: string, type: 'text' | 'arrayBuffer'): Promise<string | ArrayBuffer | null> {
    try {
      const { stdout } = await this.wrangler(['get', key]);
      return type === 'text' ? stdout.toString('utf8') : new Uint8Array(stdout).buffer;
    } catch (error) {
      if (/not found/i.test(String((error as { stderr?: Buffer }).stderr ?? ''))) return null;
      throw error;
    }
  }

  async put(key: string, value: string | ArrayBuffer | ArrayBufferView): Promise<void> {
    const file = join(this.scratch, 'value');
    const bytes = typeof value === 'string' ? Buffer.from(value) : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
    await writeFile(file, bytes);
    await this.wrangler(['put', key, '--path', file]);
  }
}

async function openRemote(): Promise<OpenStore> {
  const scratch = await mkdtemp(join(tmpdir(), 'edgehead-kv-'));
  const ensureModel = async (name: string) => {
    await run(process.execPath, [wranglerBin(), 'd1', 'execute', 'DB', '--remote', '--command', ensureModelSql(name)], { cwd: PROJECT_ROOT });
  };
  return { kv: new RemoteKv(scratch), where: 'the deployed MODELS namespace', ensureModel, close: () => rm(scratch, { recursive: true, force: true }) };
}

export function openModelStore(options: { remote?: boolean }): Promise<OpenStore> {
  return options.remote ? openRemote() : openLocal();
}

