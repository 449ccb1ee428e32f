/**
 * Runs fuzz cases in a child process (fuzz-child.ts), one at a time, and judges each: the outcome must be a
 * decoded image or an EdgeheadError with a 4xx status; its CPU time and peak memory must stay within bounds
 * set by legitimate photos measured in the same child first. A hang (no answer within `caseTimeoutMs`), a
 * child whose resident memory passes `rssLimitMb` (killed by the watchdog) and a child that dies are caught,
 * recorded with the case's seed and number, and the run goes on with a fresh child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, FuzzChildInit } from './fuzz-child.ts';

const CHILD = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** first case number (to resume or to reproduce one case: `start: N, cases: 1`) */
  start?: number;
  sourcePaths: string[];
  /** legitimate photos (the biggest one sets the memory bound) */
  yardstickPaths: string[];
  maxPixels?: number;
  caseTimeoutMs?: number;
  rssLimitMb?: number;
  /** check CPU and memory bounds (off in the unit-test slice: timings are not asserted in tests) */
  checkBounds?: boolean;
  onProgress?: (done: number, failures: number) => void;
}

export type FailureKind = 'bug' | 'hang' | 'memory-blowup' | 'crash' | 'cpu-bound' | 'memory-bound';

export interface FuzzFailure {
  kind: FailureKind;
  seed: number;
  caseNo: number;
  source?: string;
  mutations?: string[];
  detail: string;
}

export interface Yardstick {
  name: string;
  pixels: number;
  cpuMs: number;
  peakMb: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  outcomes: { decoded: number; refused: number; bug: number; killed: number };
  statuses: Record<string, number>;
  yardsticks: Yardstick[];
  bounds: { nsPerPixel: number; memoryMb: number };
  maxCpuMs: number;
  maxPeakMb: number;
  failures: FuzzFailure[];
}

class Child {
  readonly process: ChildProcess;
  private pending: ((message: CaseResult | null) => void) | null = null;
  private readonly ready: Promise<void>;
  exitReason = '';

  constructor(init: FuzzChildInit) {
    this.process = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    this.process.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    this.ready = new Promise((resolve, reject) => {
      this.process.on('message', (m: { started?: boolean; ready?: boolean } & CaseResult) => {
        if (m.started) this.process.send({ init });
        else if (m.ready) resolve();
        else this.pending?.(m);
      });
      this.process.on('exit', (code, signal) => {
        this.exitReason ||= `exited (code ${code}, signal ${signal}) ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
        reject(new Error(`fuzz child ${this.exitReason}`));
        this.pending?.(null);
      });
    });
  }

  /** One case; null when the child died or was killed before answering. */
  async run(caseNo: number, calibrate: boolean, timeoutMs: number, rssLimitMb: number): Promise<CaseResult | null> {
    await this.ready;
    const pid = this.process.pid!;
    return new Promise((resolve) => {
      const finish = (result: CaseResult | null) => {
        clearTimeout(timer);
        clearInterval(watchdog);
        this.pending = null;
        resolve(result);
      };
      const timer = setTimeout(() => this.kill(`no answer within ${timeoutMs} ms`), timeoutMs);
      const watchdog = setInterval(() => {
        const rss = residentMb(pid);
        if (rss > rssLimitMb) this.kill(`resident memory ${rss.toFixed(0)} MB passed the ${rssLimitMb} MB limit`);
      }, 25);
      this.pending = finish;
      this.process.send({ caseNo, calibrate });
    });
  }

  kill(reason: string): void {
    this.exitReason ||= reason;
    this.process.kill('SIGKILL');
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }
}

function residentMb(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the cases and returns the report; never throws for a failing case. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, cases, sourcePaths, yardstickPaths } = options;
  const start = options.start ?? 0;
  const maxPixels = options.maxPixels ?? 50_000_000;
  const timeoutMs = options.caseTimeoutMs ?? 60_000;
  const rssLimitMb = options.rssLimitMb ?? 1500;
  const init: FuzzChildInit = { seed, sourcePaths, yardstickPaths, maxPixels };
  let child = new Child(init);
  const respawn = () => {
    if (!child.alive) child = new Child(init);
  };
  const report: FuzzReport = {
    seed, cases, outcomes: { decoded: 0, refused: 0, bug: 0, killed: 0 }, statuses: {}, yardsticks: [],
    bounds: { nsPerPixel: 0, memoryMb: 0 }, maxCpuMs: 0, maxPeakMb: 0, failures: [],
  };
  try {
    // Each yardstick twice, the second (warm) run counts.
    for (let i = 0; i < yardstickPaths.length; i++) {
      await child.run(i, true, timeoutMs, rssLimitMb);
      const r = await child.run(i, true, timeoutMs, rssLimitMb);
      if (!r || r.outcome !== 'decoded') throw new Error(`legitimate photo ${yardstickPaths[i]} did not decode: ${r?.message ?? child.exitReason}`);
      report.yardsticks.push({ name: basename(yardstickPaths[i]), pixels: r.claimedPixels, cpuMs: r.cpuMs, peakMb: r.peakMb });
    }
    // Generous: 5x the dearest legitimate pixel, plus a fixed 250 ms; the biggest photo's memory plus 32 MB of noise.
    report.bounds.nsPerPixel = Math.max(...report.yardsticks.map((y) => (y.cpuMs * 1e6) / y.pixels));
    report.bounds.memoryMb = Math.max(...report.yardsticks.map((y) => y.peakMb)) + 32;
    for (let caseNo = start; caseNo < start + cases; caseNo++) {
      respawn();
      const result = await child.run(caseNo, false, timeoutMs, rssLimitMb);
      judge(report, options, caseNo, result, child.exitReason);
      options.onProgress?.(caseNo - start + 1, report.failures.length);
    }
  } finally {
    if (child.alive) child.kill('run over');
  }
  return report;
}

function judge(report: FuzzReport, options: FuzzOptions, caseNo: number, r: CaseResult | null, exitReason: string): void {
  const base = { seed: report.seed, caseNo };
  if (!r) {
    report.outcomes.killed++;
    const kind: FailureKind = exitReason.startsWith('no answer') ? 'hang' : exitReason.startsWith('resident') ? 'memory-blowup' : 'crash';
    report.failures.push({ ...base, kind, detail: exitReason });
    return;
  }
  const where = { ...base, source: basename(options.sourcePaths[r.source] ?? ''), mutations: r.mutations };
  report.outcomes[r.outcome]++;
  if (r.status) report.statuses[`${r.status} ${r.code}`] = (report.statuses[`${r.status} ${r.code}`] ?? 0) + 1;
  report.maxCpuMs = Math.max(report.maxCpuMs, r.cpuMs);
  report.maxPeakMb = Math.max(report.maxPeakMb, r.peakMb);
  if (r.outcome === 'bug') report.failures.push({ ...where, kind: 'bug', detail: r.message ?? '' });
  if (options.checkBounds === false) return;
  const pixels = Math.min(Math.max(r.claimedPixels, 1), options.maxPixels ?? 50_000_000);
  const cpuBound = 250 + (5 * report.bounds.nsPerPixel * pixels) / 1e6;
  if (r.cpuMs > cpuBound) {
    report.failures.push({ ...where, kind: 'cpu-bound', detail: `${r.cpuMs.toFixed(0)} ms CPU > ${cpuBound.toFixed(0)} ms for ${pixels} claimed pixels (${r.outcome} ${r.code ?? ''})` });
  }
  if (r.peakMb > report.bounds.memoryMb) {
    report.failures.push({ ...where, kind: 'memory-bound', detail: `${r.peakMb.toFixed(0)} MB peak > ${report.bounds.memoryMb.toFixed(0)} MB (${r.outcome} ${r.code ?? ''}, ${pixels} claimed pixels)` });
  }
}

/** What decoding one file in the child gave: its result, or why the child was killed. */
export interface FileOutcome {
  path: string;
  result: CaseResult | null;
  killed?: string;
}

/**
 * Decodes each file (unmutated) in a watched child, a fresh child per file so one file's memory is not
 * charged to the next: for the hostile classes of test/helpers/hostile-images.ts.
 */
export async function decodeFiles(paths: string[], options: { maxPixels?: number; caseTimeoutMs?: number; rssLimitMb?: number } = {}): Promise<FileOutcome[]> {
  const out: FileOutcome[] = [];
  for (let i = 0; i < paths.length; i++) {
    const child = new Child({ seed: 0, sourcePaths: [], yardstickPaths: paths, maxPixels: options.maxPixels ?? 50_000_000 });
    try {
      const result = await child.run(i, true, options.caseTimeoutMs ?? 60_000, options.rssLimitMb ?? 1500);
      out.push(result ? { path: paths[i], result } : { path: paths[i], result: null, killed: child.exitReason });
    } finally {
      if (child.alive) child.kill('done');
    }
  }
  return out;
}
