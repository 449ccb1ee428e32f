/**
 * Runs `wrangler dev` as the leader of its own process group and supervises it: wrangler runs workerd as a child
 * in that group, and when workerd dies wrangler neither restarts it nor exits (the service just hangs), and a
 * signal to wrangler alone can leave workerd running. So `edgehead serve` watches the group itself: it stops the
 * whole group on SIGINT/SIGTERM/SIGHUP or its own exit, and stops with a non-zero exit code when wrangler exits
 * or workerd dies. A workerd's death is reported by its tether (`bin/workerd-tethered.sh` appends to the file
 * named by EDGEHEAD_WORKERD_EXITS); without one (no setpriv) the group is sampled: a workerd fewer than were seen.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SupervisorOptions {
  log: (line: string) => void;
  /** how often the group is checked for workerd */
  pollMs?: number;
  /** how long a stopping group gets between SIGTERM and SIGKILL */
  graceMs?: number;
}

/** The processes in process group `pgid` (from /proc), with their command names. */
export function processGroup(pgid: number): { pid: number; comm: string }[] {
  const members: { pid: number; comm: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
      const close = stat.lastIndexOf(')');
      const [state, , pgrp] = stat.slice(close + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      members.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // the process exited while we read it
    }
  }
  return members;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the group, then SIGKILL once `graceMs` passed with members left; resolves when the group is empty. */
async function stopGroup(pgid: number, graceMs: number, pollMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  for (let waited = 0; processGroup(pgid).length > 0; waited += pollMs) {
    if (waited >= graceMs) signalGroup(pgid, 'SIGKILL');
    await sleep(Math.min(pollMs, 250));
  }
}

/**
 * Makes `handler` the only listener of `signals` until the returned function restores the previous ones.
 * Importing wrangler in this process (getPlatformProxy) installs SIGINT/SIGTERM listeners that call process.exit()
 * at once, so serve would exit before stopping the group: serve owns these signals while it supervises.
 */
function ownSignals(signals: NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void): () => void {
  const previous = signals.map((signal) => [signal, process.listeners(signal)] as const);
  for (const signal of signals) {
    process.removeAllListeners(signal);
    process.on(signal, handler);
  }
  return () => {
    for (const [signal, listeners] of previous) {
      process.off(signal, handler);
      for (const listener of listeners) process.on(signal, listener);
    }
  };
}

/**
 * Spawns `command` (wrangler dev, from `wranglerCommand`) detached, so it leads its own process group, and
 * supervises it.
 * Resolves with the exit code for the CLI: 0 after a stop signal, non-zero (with a message) when wrangler
 * exited by itself or workerd disappeared while wrangler lived. Every process of the group is gone by then.
 */
export function superviseWranglerDev(
  command: { command: string; args: string[] },
  env: NodeJS.ProcessEnv,
  cwd: string,
  options: SupervisorOptions,
): Promise<number> {
  const pollMs = options.pollMs ?? 1000;
  const graceMs = options.graceMs ?? 5000;
  const exitsDir = mkdtempSync(join(tmpdir(), 'edgehead-serve-'));
  const exitsFile = join(exitsDir, 'workerd-exits');
  writeFileSync(exitsFile, '');
  // stdin is not inherited: a background process group reading the terminal would be stopped (SIGTTIN).
  const child = spawn(command.command, command.args, {
    cwd,
    env: { ...env, EDGEHEAD_WORKERD_EXITS: exitsFile },
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pgid = child.pid!;
  let stopping: Promise<void> | null = null;
  let result: number | null = null;
  const stop = (code: number) => {
    result ??= code;
    stopping ??= stopGroup(pgid, graceMs, pollMs);
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    options.log(`${signal}: stopping wrangler and workerd`);
    signalGroup(pgid, signal);
    void stop(0);
  };
  const onExit = () => signalGroup(pgid, 'SIGKILL');
  const restoreSignals = ownSignals(['SIGINT', 'SIGTERM', 'SIGHUP'], onSignal);
  process.on('exit', onExit);

  return new Promise((resolvePromise) => {
    // wrangler runs two workerd processes (its proxy and the worker): losing either breaks the service.
    let most = 0;
    let missing = 0;
    const timer = setInterval(() => {
      if (stopping || child.exitCode !== null || child.signalCode !== null) return;
      const reported = readFileSync(exitsFile, 'utf8').trim();
      if (reported) {
        options.log(`workerd exited (pid and status: ${reported.split('\n').join(', ')}); stopping`);
        void stop(1);
        return;
      }
      const workerds = processGroup(pgid).filter((p) => p.comm === 'workerd').length;
      most = Math.max(most, workerds);
      // Two polls in a row, so a workerd that wrangler restarts (a reload) is not taken for a dead one.
      missing = workerds < most ? missing + 1 : 0;
      if (missing >= 2) {
        options.log('workerd exited; stopping');
        void stop(1);
      }
    }, pollMs);
    child.on('exit', (code, signal) => {
      if (!stopping) options.log(`wrangler exited (${signal ?? `code ${code}`}); stopping`);
      void stop(code || 1).then(() => {
        clearInterval(timer);
        restoreSignals();
        process.off('exit', onExit);
        rmSync(exitsDir, { recursive: true, force: true });
        resolvePromise(result ?? 1);
      });
    });
  });
}
