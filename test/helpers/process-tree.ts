/** Process trees read from /proc, for tests that check what a killed command leaves behind. */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** R, S, D, Z (zombie: dead, only waiting to be reaped; it still passes `kill -0`), ... */
  state: string;
}

/** One process from /proc/PID/stat, or null when there is none. */
export function readProcess(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    return { pid, ppid: Number(ppid), comm: stat.slice(stat.indexOf('(') + 1, close), state };
  } catch {
    return null;
  }
}

/** Whether `pid` is a live process (exists and is not a zombie). */
export const isAlive = (pid: number) => {
  const info = readProcess(pid);
  return info !== null && info.state !== 'Z';
};

/** Every live descendant of `root` (children, their children, ...). */
export function descendants(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry)))
    .filter((p): p is ProcessInfo => p !== null && p.state !== 'Z');
  const found: ProcessInfo[] = [];
  const parents = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        found.push(p);
        grew = true;
      }
    }
  }
  return found;
}
