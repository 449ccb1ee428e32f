/**
 * The fuzz harness's child process (started by run-fuzz.ts with `node --import tsx`): decodes one case per
 * message through the public decode API the service uses (`decodeForModel`, then the model input), and reports
 * its outcome, CPU time (process.cpuUsage) and peak resident memory above what the process held before it (the
 * kernel's high-water mark, reset per case through /proc/self/clear_refs; wasm memory included).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { EdgeheadError } from '../../shared/errors.ts';
import { HTTP_STATUS } from '../../workers/http-status.ts';
import { decodeForModel } from '../../shared/image/decode-image.ts';
import type { ImageRuntime } from '../../shared/image/image-runtime.ts';
import { modelInputFrom } from '../../shared/image/preprocess.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { makeCase } from './mutate.ts';

export interface FuzzChildInit {
  seed: number;
  sourcePaths: string[];
  /** legitimate photos (never mutated) whose cost sets the bounds */
  yardstickPaths: string[];
  maxPixels: number;
}

export interface CaseResult {
  caseNo: number;
  source: number;
  mutations: string[];
  size: number;
  /** width*height the header claims (0 when it could not be read) */
  claimedPixels: number;
  outcome: 'decoded' | 'refused' | 'bug';
  status?: number;
  code?: string;
  message?: string;
  cpuMs: number;
  peakMb: number;
}

const TARGET = { height: 224, width: 224, pixelScale: 1 / 127.5, pixelZeroPoint: 127.5 };

function status(field: 'VmRSS' | 'VmHWM'): number {
  const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`));
  return match ? Number(match[1]) / 1024 : 0;
}

function claimed(bytes: Uint8Array): number {
  try {
    const info = probeImage(bytes);
    return info.width * info.height;
  } catch {
    return 0;
  }
}

/** Decodes one input the way classify does; returns the outcome fields and the measurements. */
export function runOne(bytes: Uint8Array, maxPixels: number, runtime: ImageRuntime): Omit<CaseResult, 'caseNo' | 'source' | 'mutations'> {
  writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS');
  const cpu0 = process.cpuUsage();
  let result: Pick<CaseResult, 'outcome' | 'status' | 'code' | 'message'>;
  try {
    const image = decodeForModel(bytes, { maxPixels, height: TARGET.height, width: TARGET.width, runtime });
    modelInputFrom(image, TARGET);
    result = { outcome: 'decoded' };
  } catch (error) {
    const status = error instanceof EdgeheadError ? HTTP_STATUS[error.kind] : 500;
    if (error instanceof EdgeheadError && status >= 400 && status < 500) {
      result = { outcome: 'refused', status, code: error.code, message: error.message.slice(0, 200) };
    } else {
      const e = error as Error;
      result = { outcome: 'bug', message: `${e?.name}: ${String(e?.message).slice(0, 300)}` };
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { ...result, size: bytes.length, claimedPixels: claimed(bytes), cpuMs: (cpu.user + cpu.system) / 1000, peakMb: Math.max(0, status('VmHWM') - before) };
}

async function main(): Promise<void> {
  const { image } = await loadRuntime();
  let init: FuzzChildInit | undefined;
  let sources: Uint8Array[] = [];
  let yardsticks: string[] = [];
  process.on('message', (message: { init?: FuzzChildInit; caseNo?: number; calibrate?: boolean }) => {
    if (message.init) {
      init = message.init;
      sources = init.sourcePaths.map((p) => new Uint8Array(readFileSync(p)));
      yardsticks = init.yardstickPaths;
      process.send!({ ready: true });
      return;
    }
    if (!init || message.caseNo === undefined) return;
    if (message.calibrate) {
      // A legitimate source, decoded unmutated: the yardstick of the CPU and memory bounds.
      const bytes = new Uint8Array(readFileSync(yardsticks[message.caseNo]));
      process.send!({ caseNo: message.caseNo, source: message.caseNo, mutations: [], ...runOne(bytes, init.maxPixels, image) });
      return;
    }
    const { bytes, source, mutations } = makeCase(init.seed, message.caseNo, sources);
    process.send!({ caseNo: message.caseNo, source, mutations, ...runOne(bytes, init.maxPixels, image) } satisfies CaseResult);
  });
  process.send!({ started: true });
}

if (process.send) await main();
