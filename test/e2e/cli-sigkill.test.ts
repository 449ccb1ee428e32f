/**
 * No edgehead command leaves a workerd behind when it is killed with SIGKILL (no handler runs): every workerd is
 * tethered to its parent (trainer/process-tether.ts), and wrangler's cli.js to the CLI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backbonePath, REPO_DIR, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { descendants, isAlive, type ProcessInfo } from '../helpers/process-tree.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe } from '../helpers/serve-process.ts';

const env = {
  EDGEHEAD_STATE_DIR: tempDir('sigkill-state'),
  EDGEHEAD_CACHE_DIR: tempDir('sigkill-cache'),
  EDGEHEAD_BACKBONE: backbonePath('mobilenet_v1_0.25_128_quant'),
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started: ProcessInfo[] = [];

/** Polls `root`'s process tree until a workerd is in it; returns the tree at that moment. */
async function treeWithWorkerd(root: ChildProcess, output: () => string): Promise<ProcessInfo[]> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(20)) {
    const tree = descendants(root.pid!);
    started.push(...tree);
    if (tree.some((p) => p.comm === 'workerd')) return tree;
    if (root.exitCode !== null) throw new Error(`exited (${root.exitCode}) before any workerd was seen:\n${output()}`);
  }
  throw new Error(`no workerd within 60 s:\n${output()}`);
}

/** SIGKILLs `root`, then gives the kernel up to 5 s: the processes of `tree` still alive after that. */
async function killAndSurvivors(root: ChildProcess, tree: ProcessInfo[]): Promise<ProcessInfo[]> {
  process.kill(root.pid!, 'SIGKILL');
  for (let waited = 0; waited < 5000 && tree.some((p) => isAlive(p.pid)); waited += 100) await sleep(100);
  return tree.filter((p) => isAlive(p.pid));
}

function startCli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(REPO_DIR, 'bin/edgehead.mjs'), ...args], {
    cwd: REPO_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output };
}

describe('a CLI command killed with SIGKILL leaves no workerd behind', () => {
  const data = smallImageFolder(6);
  beforeAll(async () => {
    const imported = await runCli(['backbone', 'import', env.EDGEHEAD_BACKBONE], env);
    expect(imported.code, imported.stderr).toBe(0);
  });
  // A failed assertion must not leave its processes running for the rest of the suite.
  afterAll(() => {
    for (const p of started) if (isAlive(p.pid) && ['workerd', 'node', 'setpriv'].includes(p.comm)) process.kill(p.pid, 'SIGKILL');
  });

  it.each([
    ['backbone import', ['backbone', 'import', env.EDGEHEAD_BACKBONE]],
    ['train', ['train', '--data', data, '--no-publish']],
    ['evaluate', ['evaluate', '--data', data, '--out', tempDir('sigkill-report')]],
    ['rank', ['rank', '--data', data, '--folds', '2']],
  ])('%s', async (_name, args) => {
    const { child, output } = startCli(args);
    const tree = await treeWithWorkerd(child, output);
    expect(await killAndSurvivors(child, tree), output()).toEqual([]);
  });

  it('serve, while serving (wrangler dev with its two workerd processes)', async () => {
    const server = await startServe(env);
    const tree = descendants(server.child.pid!);
    started.push(...tree);
    expect(tree.filter((p) => p.comm === 'workerd').length).toBeGreaterThanOrEqual(2);
    expect(await killAndSurvivors(server.child, tree), server.output()).toEqual([]);
  });
});
