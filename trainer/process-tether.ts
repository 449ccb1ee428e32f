/**
 * Ties the processes the CLI starts to the CLI's own life, so that no command leaves a workerd behind even when it
 * is killed with SIGKILL (which no handler sees). Linux's parent-death signal does it: `setpriv --pdeathsig KILL
 * -- CMD` (util-linux) asks the kernel to SIGKILL CMD the moment its parent dies, then execs CMD in place.
 *
 * - miniflare (getPlatformProxy in train/evaluate/rank/backbone/serve, and wrangler's own) starts workerd from
 *   `MINIFLARE_WORKERD_PATH` when set: `bin/workerd-tethered.sh` runs the real workerd under setpriv.
 * - `wrangler.js` only forwards SIGINT/SIGTERM to the `wrangler-dist/cli.js` it spawns, so the CLI runs cli.js
 *   itself, under setpriv: cli.js dies with the CLI and its workerd processes die with cli.js.
 */
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);

/** The wrapper miniflare runs instead of workerd (it execs `$EDGEHEAD_SETPRIV --pdeathsig KILL -- $EDGEHEAD_WORKERD_BINARY`). */
export const TETHERED_WORKERD = resolve(new URL('../bin/workerd-tethered.sh', import.meta.url).pathname);

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** util-linux's setpriv, or null where there is none (not Linux): then nothing is tethered. */
export function findSetpriv(env: NodeJS.ProcessEnv = process.env): string | null {
  const dirs = ['/usr/bin', '/bin', ...(env.PATH ?? '').split(':').filter(Boolean)];
  return dirs.map((dir) => join(dir, 'setpriv')).find(executable) ?? null;
}

/** The workerd binary miniflare would run (its own dependency), or what MINIFLARE_WORKERD_PATH already names. */
function realWorkerd(env: NodeJS.ProcessEnv): string {
  if (env.MINIFLARE_WORKERD_PATH && env.MINIFLARE_WORKERD_PATH !== TETHERED_WORKERD) return env.MINIFLARE_WORKERD_PATH;
  const fromMiniflare = createRequire(require.resolve('miniflare'));
  return (fromMiniflare('workerd') as { default: string }).default;
}

/**
 * Makes every workerd that miniflare starts from this process (and its children, which inherit `env`) die with
 * its parent. Returns false, changing nothing, where setpriv is missing.
 */
export function tetherWorkerd(env: NodeJS.ProcessEnv = process.env): boolean {
  const setpriv = findSetpriv(env);
  if (!setpriv || !executable(TETHERED_WORKERD)) return false;
  env.EDGEHEAD_SETPRIV = setpriv;
  env.EDGEHEAD_WORKERD_BINARY = realWorkerd(env);
  env.MINIFLARE_WORKERD_PATH = TETHERED_WORKERD;
  return true;
}

/** The wrapper wrangler dev runs instead of its esbuild service binary (`bin/esbuild-tethered.sh`). */
const TETHERED_ESBUILD = resolve(new URL('../bin/esbuild-tethered.sh', import.meta.url).pathname);

/**
 * Environment for a wrangler child whose esbuild service must die with it: ESBUILD_BINARY_PATH names a wrapper
 * that runs wrangler's own esbuild binary (same version as its esbuild package) under setpriv. Only for the
 * wrangler child: this process's tsx has an esbuild of another version. Empty where setpriv is missing.
 */
export function tetheredEsbuildEnv(): Record<string, string> {
  const setpriv = findSetpriv();
  if (!setpriv || !executable(TETHERED_ESBUILD)) return {};
  const fromWrangler = createRequire(require.resolve('wrangler/bin/wrangler.js'));
  const fromEsbuild = createRequire(fromWrangler.resolve('esbuild'));
  const binary = fromEsbuild.resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`);
  return { ESBUILD_BINARY_PATH: TETHERED_ESBUILD, EDGEHEAD_ESBUILD_BINARY: binary, EDGEHEAD_SETPRIV: setpriv };
}

/** wrangler's real CLI entry, which `bin/wrangler.js` would run in a child of its own. */
function wranglerCli(): string {
  return join(dirname(require.resolve('wrangler/bin/wrangler.js')), '..', 'wrangler-dist', 'cli.js');
}

/**
 * The command line that runs `wrangler ARGS` as a direct child that dies with this process: node on wrangler's
 * cli.js with the flags wrangler.js gives it, under setpriv when there is one.
 */
export function wranglerCommand(args: string[]): { command: string; args: string[] } {
  const node = [process.execPath, '--no-warnings', '--experimental-vm-modules', wranglerCli(), ...args];
  const setpriv = findSetpriv();
  return setpriv ? { command: setpriv, args: ['--pdeathsig', 'KILL', '--', ...node] } : { command: node[0], args: node.slice(1) };
}
