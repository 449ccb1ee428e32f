/** `edgehead serve` (what `npm start` runs): make sure a backbone is imported, then run `wrangler dev`. */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseServiceConfig, type ServiceConfig } from '../shared/config.ts';
import { EdgeheadError } from '../shared/errors.ts';
import { getCurrentBackboneId } from '../shared/store/backbone-store.ts';
import { getCurrentHeadPointer } from '../shared/store/head-store.ts';
import { importBackbone } from '../shared/store/import-backbone.ts';
import { resolveBackboneSource } from './backbone-source.ts';
import { superviseWranglerDev } from './dev-supervisor.ts';
import { freePort, startFrontProxy } from './front-proxy.ts';
import { localStateDir, openModelStore, PROJECT_ROOT } from './model-store.ts';
import { tetheredEsbuildEnv, wranglerCommand } from './process-tether.ts';

export interface ServeOptions {
  port: number;
  /** path or URL; default EDGEHEAD_BACKBONE, else what the local state already serves, else the public default */
  backbone?: string;
  sha256?: string;
  log: (line: string) => void;
}

/** Imports the backbone into the local state when needed; returns what the service will serve. */
export async function prepareLocalState(options: ServeOptions): Promise<{ backboneId: string; headVersion: string | null }> {
  const { kv, close } = await openModelStore({ remote: false });
  try {
    const requested = options.backbone ?? process.env.EDGEHEAD_BACKBONE;
    let backboneId = await getCurrentBackboneId(kv);
    if (requested || !backboneId) {
      const source = await resolveBackboneSource(requested || undefined, { sha256: options.sha256 });
      const { manifest, stored } = await importBackbone(kv, source.bytes, source, new Date());
      backboneId = manifest.id;
      const { spec } = manifest;
      options.log(
        `${stored ? 'imported' : 'using'} backbone ${manifest.name} (${manifest.id}): ${spec.inputWidth}x${spec.inputHeight} input, ${spec.embeddingSize}-d embeddings`,
      );
    } else {
      options.log(`using backbone ${backboneId} from ${localStateDir()}`);
    }
    const head = await getCurrentHeadPointer(kv);
    options.log(head ? `serving head ${head.version}` : 'no head yet: train one with `npx edgehead train --data DIR` while the service runs');
    return { backboneId, headVersion: head?.version ?? null };
  } finally {
    await close();
  }
}

/**
 * Runs `wrangler dev` on the local state, supervised (`dev-supervisor.ts`), behind a small Node front on `port`
 * (`front-proxy.ts`: it answers `Expect: 100-continue`, which workerd does not) with wrangler on a free port of
 * its own: resolves with 0 after SIGINT/SIGTERM/SIGHUP, non-zero when wrangler exits or workerd dies; wrangler
 * and workerd are stopped either way.
 */
export async function runWranglerDev(port: number, log: (line: string) => void, extraArgs: string[] = []): Promise<number> {
  const wranglerPort = await freePort();
  const front = await startFrontProxy(port, wranglerPort);
  log(`serving on http://127.0.0.1:${port} (wrangler dev behind it on port ${wranglerPort})`);
  try {
    return await superviseWranglerDev(
      wranglerCommand(['dev', '--ip', '127.0.0.1', '--port', String(wranglerPort), '--persist-to', localStateDir(), ...extraArgs]),
      { ...process.env, ...tetheredEsbuildEnv(), WRANGLER_SEND_METRICS: 'false' },
      PROJECT_ROOT,
      { log },
    );
  } finally {
    await front.close();
  }
}

/** The project's wrangler configuration, whose [vars] the service reads. */
export const WRANGLER_CONFIG_PATH = join(PROJECT_ROOT, 'wrangler.toml');

/**
 * The service's vars as `wrangler dev` will give them to the worker (the config's [vars], overridden by the
 * `.dev.vars` beside it), parsed as the worker parses them: bad configuration fails here, at startup, before
 * wrangler starts, instead of as a 500 invalid_config on the first request.
 * @throws ConfigError naming the var and its value
 */
export async function readServiceConfig(configPath = WRANGLER_CONFIG_PATH): Promise<ServiceConfig> {
  // Loaded on demand: wrangler takes ~1 s to import, and only `serve` needs it.
  const { unstable_readConfig, unstable_getVarsForDev } = await import('wrangler');
  const config = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const bindings = unstable_getVarsForDev(configPath, undefined, config.vars, undefined, true);
  const vars = Object.fromEntries(Object.entries(bindings).map(([name, binding]) => [name, binding.value]));
  return parseServiceConfig(vars);
}

/** wrangler dev reads local secrets from here (git-ignored). */
export const DEV_VARS_PATH = join(PROJECT_ROOT, '.dev.vars');

/** The ADMIN_TOKEN in a .dev.vars file, or null. */
export function readDevVarsToken(path = DEV_VARS_PATH): string | null {
  if (!existsSync(path)) return null;
  const match = /^\s*ADMIN_TOKEN\s*=\s*"?([^"\r\n]+?)"?\s*$/m.exec(readFileSync(path, 'utf8'));
  return match ? match[1] : null;
}

/**
 * Makes sure `.dev.vars` holds an ADMIN_TOKEN: creates the file (or appends the line) with a random
 * 256-bit token when missing. Says where it is, never what it is.
 */
export function ensureAdminToken(log: (line: string) => void, path = DEV_VARS_PATH): void {
  if (readDevVarsToken(path)) {
    log(`admin token: ADMIN_TOKEN in ${path}`);
    return;
  }
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const line = `ADMIN_TOKEN=${randomBytes(32).toString('hex')}\n`;
  writeFileSync(path, existing && !existing.endsWith('\n') ? `${existing}\n${line}` : existing + line, { mode: 0o600 });
  log(`created an admin token for the admin routes: ADMIN_TOKEN in ${path} (send it as "Authorization: Bearer <token>")`);
}

/** Applies the D1 migrations to the local state `wrangler dev` serves (wrangler dev does not do it by itself). */
export async function applyLocalMigrations(log: (line: string) => void, extraArgs: string[] = []): Promise<void> {
  const { command, args } = wranglerCommand(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', localStateDir(), ...extraArgs]);
  try {
    await promisify(execFile)(command, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new EdgeheadError('not_ready', 'migrations_failed', `applying the D1 migrations to ${localStateDir()} failed:\n${stdout}${stderr}`);
  }
  log(`D1 migrations applied to the local state in ${localStateDir()}`);
}
