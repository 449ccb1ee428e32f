/**
 * Where the local service runs, so the other commands find it: `edgehead serve` writes a small JSON record
 * (port, pid, start time, state folder) into its state folder, and the same record as this checkout's "current
 * service" (`.edgehead/serve.json`), so `push`, `classify`, `train` and `evaluate` need neither `--port` nor
 * `--state` repeated. Both files go when `serve` exits; a record whose process is gone is reported as stale.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BadRequestError, NotReadyError } from '../shared/errors.ts';
import { DEFAULT_STATE_DIR, PROJECT_ROOT } from './model-store.ts';

export interface ServiceRecord {
  url: string;
  port: number;
  pid: number;
  /** ISO time `serve` started */
  started: string;
  stateDir: string;
}

/** The port `serve` listens on unless `--port` or EDGEHEAD_PORT says otherwise (wrangler.toml's too). */
export const DEFAULT_PORT = 8787;
/** This checkout's most recently started service. */
export const CURRENT_SERVICE_PATH = join(PROJECT_ROOT, '.edgehead', 'serve.json');

export const serviceRecordPath = (stateDir: string) => join(stateDir, 'edgehead-serve.json');

export function readServiceRecord(path: string): ServiceRecord | null {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as ServiceRecord;
    return Number.isInteger(record.pid) && Number.isInteger(record.port) && typeof record.stateDir === 'string' ? record : null;
  } catch {
    return null;
  }
}

/** Whether `pid` is a live process (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAtomically(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, path);
}

/** Records this process as the service on `port` over `stateDir`; returns the function that removes the record again. */
export function writeServiceRecord(port: number, stateDir: string, now = new Date()): () => void {
  const record: ServiceRecord = { url: `http://127.0.0.1:${port}`, port, pid: process.pid, started: now.toISOString(), stateDir };
  const text = `${JSON.stringify(record, null, 2)}\n`;
  const paths = [serviceRecordPath(stateDir), CURRENT_SERVICE_PATH];
  for (const path of paths) writeAtomically(path, text);
  const remove = () => {
    process.off('exit', remove);
    // Only our own record: a newer `serve` may have replaced the checkout's current one meanwhile.
    for (const path of paths) if (readServiceRecord(path)?.pid === process.pid) rmSync(path, { force: true });
  };
  // Also on process.exit(), which a signal handler of wrangler's (exit-hook, from getPlatformProxy) may call first.
  process.on('exit', remove);
  return remove;
}

/**
 * The local state folder a command works on: `--state`, else EDGEHEAD_STATE_DIR, else the folder of the service
 * this checkout runs now (so `serve --state DIR` need not be repeated), else `.wrangler/state`.
 */
export function resolveStateDir(flag: string | undefined): string {
  const given = flag ?? process.env.EDGEHEAD_STATE_DIR;
  if (given) return resolve(given);
  const current = readServiceRecord(CURRENT_SERVICE_PATH);
  return current && isAlive(current.pid) ? current.stateDir : DEFAULT_STATE_DIR;
}

/** `--port`, else EDGEHEAD_PORT, else undefined; refuses what is not a TCP port. */
export function portFrom(flag: string | undefined): number | undefined {
  const raw = flag ?? process.env.EDGEHEAD_PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535) throw new BadRequestError(`--port must be a TCP port (1-65535), got ${JSON.stringify(raw)}`, 'bad_argument');
  return port;
}

/**
 * The base URL of the service to talk to: `--url`, else `--port` (or EDGEHEAD_PORT) on 127.0.0.1, else the
 * service `serve` recorded in the state folder.
 * @throws NotReadyError when no service is recorded there, or the recorded one is no longer running
 */
export function findServiceUrl(options: { url?: string; port?: number; stateDir: string }): string {
  if (options.url) return options.url;
  if (options.port !== undefined) return `http://127.0.0.1:${options.port}`;
  const path = serviceRecordPath(options.stateDir);
  const record = readServiceRecord(path);
  const start = `start it with \`npx edgehead serve\` (or \`npm start\`), or pass --url URL or --port N`;
  if (!record) throw new NotReadyError(`no edgehead service is running on the local state in ${options.stateDir}: ${start}`, 'no_service');
  if (!isAlive(record.pid)) {
    throw new NotReadyError(
      `the edgehead service recorded in ${path} (pid ${record.pid}, port ${record.port}, started ${record.started}) is not running any more (a stale record: it was killed): ${start}`,
      'stale_service',
    );
  }
  return record.url;
}
