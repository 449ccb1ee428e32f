/** `edgehead classify FILE...`: post each photo to the running service and print its answer as a table or JSON lines. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import { EdgeheadError } from '../shared/errors.ts';
import { contentTypeFor, errorBody } from './service-client.ts';

export interface ClassifyCommandOptions {
  files: string[];
  /** base URL of the service */
  url: string;
  topK?: number;
  /** the named model to ask (`?model=`); absent: the service's default */
  model?: string;
  clock?: () => number;
}

export interface ClassifyAnswer {
  label: string | null;
  score: number;
  reason?: string;
  candidate?: string;
  predictions: { label: string; score: number }[];
  model: { head: string; backbone: string };
}

export type ClassifyRow =
  | { file: string; ok: true; ms: number; answer: ClassifyAnswer }
  | { file: string; ok: false; ms: number; status: number; error: { code: string; message: string } };

async function classifyOne(file: string, url: string, clock: () => number): Promise<ClassifyRow> {
  const started = clock();
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    return { file, ok: false, ms: 0, status: 0, error: { code: 'unreadable_file', message: (error as Error).message } };
  }
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': contentTypeFor(file) }, body: bytes });
  } catch (error) {
    throw new EdgeheadError('not_ready', 'unreachable', `cannot reach ${url}: ${(error as Error).cause ?? (error as Error).message}; is the service running (npx edgehead serve)?`);
  }
  if (response.ok) {
    const answer = (await response.json()) as ClassifyAnswer;
    return { file, ok: true, ms: clock() - started, answer };
  }
  const status = response.status;
  const { code, message } = await errorBody(response);
  return { file, ok: false, ms: clock() - started, status, error: { code, message } };
}

/**
 * Classifies the files one after another (so each row's milliseconds are that photo's round trip alone).
 * A file the service refuses (or that cannot be read) becomes a failed row; an unreachable service stops it all.
 * @throws EdgeheadError when the service cannot be reached
 */
export async function runClassifyCommand(options: ClassifyCommandOptions, onRow: (row: ClassifyRow) => void = () => {}): Promise<ClassifyRow[]> {
  const base = options.url.replace(/\/$/, '');
  const query = new URLSearchParams();
  if (options.model && options.model !== DEFAULT_MODEL) query.set('model', options.model);
  if (options.topK) query.set('top_k', String(options.topK));
  const url = `${base}/v1/classify${query.size ? `?${query}` : ''}`;
  const clock = options.clock ?? (() => performance.now());
  const rows: ClassifyRow[] = [];
  for (const file of options.files) {
    const row = await classifyOne(file, url, clock);
    rows.push(row);
    onRow(row);
  }
  return rows;
}

/** One JSON line per file, the service's answer as it came (or the error). */
export function classifyJsonLine(row: ClassifyRow): string {
  const ms = Math.round(row.ms);
  return JSON.stringify(row.ok ? { file: row.file, ms, ...row.answer } : { file: row.file, ms, status: row.status, error: row.error });
}

/** The answers as a table: file, label, confidence, unknown reason, milliseconds; errors in place of the label. */
export function formatClassifyTable(rows: ClassifyRow[]): string {
  const header = ['FILE', 'LABEL', 'CONFIDENCE', 'UNKNOWN', 'MS'];
  const answered = rows.flatMap((row) => {
    if (!row.ok) return [];
    const { answer } = row;
    const unknown = answer.label === null ? `${answer.reason} (${answer.candidate}?)` : '';
    return [[basename(row.file), answer.label ?? 'unknown', answer.score.toFixed(3), unknown, row.ms.toFixed(0)]];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...answered.map((c) => c[i].length), ...(i === 0 ? rows.map((r) => basename(r.file).length) : [])));
  const line = (c: string[]) => c.map((v, i) => (i === c.length - 1 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ').trimEnd();
  let next = 0;
  // A failed file keeps its place, with the error where the answer would be.
  const body = rows.map((row) => (row.ok ? line(answered[next++]) : `${basename(row.file).padEnd(widths[0])}  error ${row.status || '-'} ${row.error.code}: ${row.error.message} (${row.ms.toFixed(0)} ms)`));
  return [line(header), ...body].join('\n');
}
