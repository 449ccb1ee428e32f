/**
 * Runs `wrangler dev` as the leader of its own process group and supervises it: wrangler runs workerd as a child
 * in that group, and when workerd dies wrangler neither restarts it nor exits (the service just hangs), and a
 * signal to wrangler alone can leave workerd running. So `edgehead serve` watches the group itself: it stops the
 * whole group on SIGINT/SIGTERM/SIGHUP or its own exit, and stops with a non-zero exit code when wrangler exits
 * or workerd disappears.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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
  // stdin is not inherited: a background process group reading the terminal would be stopped (SIGTTIN).
  const child = spawn(command.command, command.args, { cwd, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
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
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  process.on('exit', onExit);

  return new Promise((resolvePromise) => {
    // wrangler runs two workerd processes (its proxy and the worker): losing either breaks the service.
    let most = 0;
    let missing = 0;
    const timer = setInterval(() => {
      if (stopping || child.exitCode !== null || child.signalCode !== null) return;
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
        for (const s of signals) process.off(s, onSignal);
        process.off('exit', onExit);
        resolvePromise(result ?? 1);
      });
    });
  });
}
