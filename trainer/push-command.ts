/** `edgehead push`: upload an ImageFolder as labelled examples to a running service (local or deployed). */
import { readFile } from 'node:fs/promises';
import { EdgeheadError, NotReadyError, UnauthorizedError } from '../shared/errors.ts';
import { validateLabel } from '../shared/examples/label.ts';
import { sha256File } from './backbone-source.ts';
import { DEFAULT_MODEL, modelApiRoot } from '../shared/models/model-name.ts';
import { readImageFolder } from './image-folder.ts';
import { startProgress } from './progress.ts';
import { adminToken, contentTypeFor, errorMessage, request, serviceBase } from './service-client.ts';

export interface PushOptions {
  data: string;
  url: string;
  /** admin token; for a local URL, defaults to the one in .dev.vars */
  token?: string;
  concurrency: number;
  /** the named model the examples go to (created when missing); default `default` */
  model?: string;
  quiet: boolean;
  log: (line: string) => void;
}

export interface PushSummary {
  files: number;
  /** stored as new examples (201) */
  created: number;
  /** the service already had the photo (200) */
  existing: number;
  /** not sent: the service listed its hash before the upload (resume) */
  skipped: number;
  failed: { name: string; status: number; message: string }[];
}

/** Every example id (sha256) the service stores, through the paged listing. */
async function storedIds(api: string, token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const response = await request(`${api}/examples?limit=200${cursor ? `&cursor=${cursor}` : ''}`, token);
    if (!response.ok) throw new EdgeheadError(response.status === 401 ? 'unauthorized' : 'bad_request', 'push_failed', `listing stored examples failed (${response.status}): ${await errorMessage(response)}`);
    const page = (await response.json()) as { examples: { id: string }[]; cursor: string | null };
    for (const example of page.examples) ids.add(example.id);
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/** Creates a named model on the service unless it exists (201 created, 409 already there). */
async function ensureModel(base: string, token: string, model: string, log: (line: string) => void): Promise<void> {
  const response = await request(`${base}/v1/models`, token, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: model }) });
  if (response.status === 201) log(`created model ${model}`);
  else if (response.status !== 409) throw new EdgeheadError(response.status === 401 ? 'unauthorized' : 'bad_request', 'push_failed', `creating model ${model} failed (${response.status}): ${await errorMessage(response)}`);
  // Read to the end, never cancel (see the uploads below).
  if (!response.bodyUsed) await response.arrayBuffer().catch(() => {});
}

/**
 * Uploads every image of the folder as an example labelled by its folder, `concurrency` at a time.
 * Photos whose sha256 the service already lists are not sent. Per-file refusals (e.g. an undecodable
 * photo) are collected and reported; a wrong token stops the push.
 * @throws EdgeheadError for a bad folder, a missing or wrong token, or an unreachable service
 */
export async function runPushCommand(options: PushOptions): Promise<PushSummary> {
  const url = new URL(options.url);
  const base = serviceBase(url);
  const token = adminToken(url, options.token);
  const files = await readImageFolder(options.data, { minLabels: 1 });
  for (const label of new Set(files.map((f) => f.label))) validateLabel(label);

  const model = options.model ?? DEFAULT_MODEL;
  if (model !== DEFAULT_MODEL) await ensureModel(base, token, model, options.log);
  const api = base + modelApiRoot(model);
  const known = await storedIds(api, token);
  const summary: PushSummary = { files: files.length, created: 0, existing: 0, skipped: 0, failed: [] };
  const progress = startProgress('pushing', files.length, { quiet: options.quiet });
  let next = 0;
  let fatal: EdgeheadError | null = null;
  const worker = async () => {
    while (next < files.length && !fatal) {
      const file = files[next++];
      const bytes = await readFile(file.path);
      if (known.has(sha256File(bytes))) {
        summary.skipped++;
      } else {
        const type = contentTypeFor(file.path);
        const response = await request(`${api}/examples?label=${encodeURIComponent(file.label)}`, token, {
          method: 'POST',
          headers: { 'content-type': type },
          body: bytes,
        });
        if (response.status === 201) summary.created++;
        else if (response.status === 200) summary.existing++;
        else if (response.status === 401) fatal = new UnauthorizedError(`the service refused the admin token: ${await errorMessage(response)}`);
        else summary.failed.push({ name: file.name, status: response.status, message: await errorMessage(response) });
        // Read to the end, never cancel: a cancelled body resets the connection while the service is still
        // writing it, and workerd prints that as a red "Connection reset by peer" ERROR under edgehead serve.
        if (!response.bodyUsed) await response.arrayBuffer().catch(() => {});
      }
      progress.tick();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, files.length) }, worker));
  } finally {
    progress.stop();
  }
  if (fatal) throw fatal;
  for (const failure of summary.failed) options.log(`  ${failure.name}: ${failure.status} ${failure.message}`);
  return summary;
}
