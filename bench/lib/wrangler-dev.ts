/** Starts `wrangler dev` on 127.0.0.1 for a benchmark and stops it (its whole process group) afterwards. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { wranglerBin, PROJECT_ROOT } from '../../trainer/model-store.ts';

export interface DevServer {
  url: string;
  child: ChildProcess;
  /** wall milliseconds from spawn until the first answer */
  startMs: number;
  /** the workerd processes that run the worker (wrangler's group, minus the proxy that listens on our port) */
  workerdPids: number[];
  /** what wrangler printed so far (the last 20,000 characters) */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * @param args extra wrangler dev arguments (`-c CONFIG`, `--var K:V`, `--persist-to DIR`)
 * @param probePath a path that answers (any status) once the worker is up
 */
export async function startWranglerDev(args: string[], probePath = '/healthz'): Promise<DevServer> {
  try {
    return await startOnce(args, probePath);
  } catch (error) {
    // Seen once on this shared machine: wrangler dev exiting 0 right after start. One retry.
    console.error(`wrangler dev failed to start, retrying: ${String(error).slice(0, 300)}`);
    return startOnce(args, probePath);
  }
}

async function startOnce(args: string[], probePath: string): Promise<DevServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [wranglerBin(), 'dev', '--ip', '127.0.0.1', '--port', String(port), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-20_000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-20_000)));
  const stop = async () => {
    if (child.pid && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  };
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    const up = await fetch(url + probePath).then(() => true, () => false);
    if (up) return { url, child, startMs: performance.now() - t0, stop, workerdPids: findWorkerd(child.pid!, port), output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`wrangler dev did not answer within 120 s:\n${output}`);
}

/**
 * The workerd processes of a process group (wrangler dev is started as a group leader), except the proxy that
 * wrangler puts on the public port: its CPU is the same for every request and is not the worker's.
 */
export function findWorkerd(group: number, port: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm !== 'workerd' || Number(fields[2]) !== group) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(`--socket-addr=entry=127.0.0.1:${port}`)) continue;
      found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  if (found.length === 0) throw new Error(`no workerd process in process group ${group}`);
  return found;
}

/**
 * CPU time in milliseconds that all threads of a process have run, from the scheduler's nanosecond counters
 * (/proc/PID/task/TID/schedstat). Unlike wall time it does not grow while other processes hold the CPU.
 */
export function processCpuMs(pids: number[]): number {
  let ns = 0;
  for (const pid of pids) for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread ended
    }
  }
  return ns / 1e6;
}

/**
 * Resident memory of the processes in MiB, summed: `VmRSS` now or `VmHWM` (the peak since the process started), from
 * /proc/PID/status. For workerd under `wrangler dev` this is everything in the process: the worker's isolate, and
 * also miniflare's local D1/KV/R2 (SQLite and their own isolates) and memory V8 has not collected yet.
 */
export function processMemoryMb(pids: number[], field: 'VmRSS' | 'VmHWM'): number {
  let kb = 0;
  for (const pid of pids) {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
    if (match) kb += Number(match[1]);
  }
  return kb / 1024;
}

/** Runs `work` and returns the workerd CPU milliseconds and wall milliseconds it took. */
export async function measure(server: DevServer, work: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  const c0 = processCpuMs(server.workerdPids);
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  return { cpu: processCpuMs(server.workerdPids) - c0, wall };
}

/** fetch that throws on a non-2xx answer, with the body in the message. */
export async function call(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${text.slice(0, 2000)}`);
  return JSON.parse(text) as unknown;
}

/**
 * Runs `samples` requests to `path`, each doing the work `n` times, and returns workerd CPU milliseconds per
 * repetition after subtracting the median CPU of a no-op request (`noopCpu`). workerd's own clock does not
 * advance during CPU work, so the figure comes from the kernel's per-thread CPU counters of the process.
 */
export async function timeRoute(server: DevServer, path: string, options: { samples: number; n?: number; noopCpu: number; warmup?: number }): Promise<number[]> {
  const n = options.n ?? 1;
  const sep = path.includes('?') ? '&' : '?';
  const target = `${server.url}${path}${sep}n=${n}`;
  for (let i = 0; i < (options.warmup ?? 1); i++) await call(target);
  const out: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    const { cpu } = await measure(server, () => call(target));
    out.push((cpu - options.noopCpu) / n);
  }
  return out;
}

/** Median workerd CPU milliseconds of a request that does nothing (any status). */
export async function noopCpu(server: DevServer, path = '/noop', samples = 30): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push((await measure(server, () => fetch(server.url + path).then((r) => r.arrayBuffer()))).cpu);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
