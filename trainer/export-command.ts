/**
 * `edgehead export`: downloads the head and the backbone a running service serves (so the export is exactly
 * what answers /v1/classify) and writes the whole classifier as a TensorFlow.js LayersModel, plus the head
 * alone as JSON, the labels and a README saying how to feed it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importTflite } from '../shared/backbone/import-tflite.ts';
import { EdgeheadError, InvalidModelError } from '../shared/errors.ts';
import { buildClassifierModel, RESIZE_RULE, type ClassifierMetadata } from '../shared/export/classifier-model.ts';
import { layersModelFiles, type ModelFile } from '../shared/export/layers-model-files.ts';
import { sha256Hex } from '../shared/hash.ts';
import { headFromJson, type HeadJson } from '../shared/head/head-json.ts';
import type { BackboneSpec } from '../shared/backbone/backbone-spec.ts';
import { backboneIdFor } from '../shared/store/backbone-store.ts';
import { adminToken, errorMessage, request, serviceBase } from './service-client.ts';
import { loadRuntime } from './runtime.ts';
import { DEFAULT_MODEL, modelApiRoot } from '../shared/models/model-name.ts';

export interface ExportOptions {
  /** the service's base URL */
  url: string;
  token?: string;
  /** head version; default: the one the service serves */
  version?: string;
  /** the named model whose head to export; default `default` */
  model?: string;
  out: string;
  log: (line: string) => void;
}

/** The body of `GET /v1/heads/:version/weights`, written as head.json. */
export interface HeadWeightsBody {
  version: string;
  weightsSha256: string;
  backbone: { id: string; name?: string; spec?: BackboneSpec };
  calibration: unknown;
  backgroundLabel: string | null;
  head: HeadJson;
}

export interface ExportResult {
  out: string;
  version: string;
  backboneId: string;
  labels: string[];
  files: { path: string; bytes: number }[];
}

async function getOk(url: string, token: string, what: string, init: RequestInit = {}): Promise<Response> {
  const response = await request(url, token, init);
  if (response.ok) return response;
  const kind = response.status === 401 ? 'unauthorized' : response.status === 404 ? 'not_found' : 'not_ready';
  throw new EdgeheadError(kind, 'export_failed', `fetching ${what} failed (${response.status}): ${await errorMessage(response)}`);
}

/** The serving head's version, from the public `GET <api>/model` (`api`: the model's route root). */
async function servingVersion(api: string, token: string): Promise<string> {
  const body = (await (await getOk(`${api}/model`, token, 'the serving model')).json()) as { head: { version: string } };
  return body.head.version;
}

function readme(meta: ClassifierMetadata): string {
  const { input } = meta;
  return `# edgehead classifier ${meta.headVersion}

A TensorFlow.js LayersModel: backbone ${meta.backboneName} (${meta.backboneId}) + head ${meta.headVersion},
the same weights the edgehead service served when this was exported.

- Input \`pixels\`: float32 [batch, ${input.height}, ${input.width}, ${input.channels}], RGB values 0..255 (no normalisation: the
  model maps each value p to (p - ${input.pixelZeroPoint}) * ${input.pixelScale} itself).
- Fit a photo to the input as the service does: ${RESIZE_RULE}.
- Output \`probabilities\`: float32 [batch, ${meta.labels.length}], calibrated (temperature ${meta.temperature} applied), in the order of
  labels.txt: ${meta.labels.map((l) => JSON.stringify(l)).join(', ')}.
- Per-label "unknown" thresholds on the top probability: ${meta.thresholds ? JSON.stringify(meta.thresholds) : 'none'}. model.json carries all of
  this as \`userDefinedMetadata.edgehead\` (\`model.getUserDefinedMetadata()\`).
- head.json: the head alone (standardisation, weights, bias, temperature, thresholds, out-of-distribution statistics).

\`\`\`js
import * as tf from '@tensorflow/tfjs';
const model = await tf.loadLayersModel('model/model.json'); // the URL this folder is served at
const { labels, input: { height: h, width: w } } = model.getUserDefinedMetadata().edgehead;
const img = document.querySelector('img'); // a loaded photo
const s = Math.min(img.naturalWidth / w, img.naturalHeight / h); // centre crop, shorter side to the input
const canvas = Object.assign(document.createElement('canvas'), { width: w, height: h });
const ctx = canvas.getContext('2d');
ctx.imageSmoothingQuality = 'high';
ctx.drawImage(img, (img.naturalWidth - w * s) / 2, (img.naturalHeight - h * s) / 2, w * s, h * s, 0, 0, w, h);
const probs = tf.tidy(() => model.predict(tf.expandDims(tf.cast(tf.browser.fromPixels(canvas), 'float32'), 0)).dataSync());
console.log(labels.map((label, i) => [label, probs[i]]).sort((a, b) => b[1] - a[1]));
\`\`\`
`;
}

/** Downloads head + backbone, checks them, and builds the model's files (model.json and shards first). */
async function exportFiles(base: string, api: string, token: string, version: string, log: (line: string) => void) {
  const body = (await (await getOk(`${api}/heads/${encodeURIComponent(version)}/weights`, token, `head ${version}`)).json()) as HeadWeightsBody;
  const head = headFromJson(body.head);
  const backboneId = body.backbone.id;
  const tflite = new Uint8Array(await (await getOk(`${base}/v1/backbones/${backboneId}/tflite`, token, `backbone ${backboneId}`)).arrayBuffer());
  if (backboneIdFor(await sha256Hex(tflite)) !== backboneId) {
    throw new InvalidModelError(`the backbone file the service sent does not hash to ${backboneId}`, 'corrupt_backbone');
  }
  log(`exporting head ${version} (${head.labels.length} labels) on backbone ${body.backbone.name ?? backboneId} (${tflite.length} bytes)`);
  await loadRuntime();
  const graph = importTflite(tflite, { name: body.backbone.name, embeddingOnly: true });
  const { spec } = graph;
  const metadata: ClassifierMetadata = {
    labels: head.labels,
    headVersion: version,
    backboneId,
    backboneName: spec.name,
    input: {
      height: spec.inputHeight, width: spec.inputWidth, channels: spec.inputChannels, pixelRange: [0, 255],
      pixelScale: spec.pixelScale, pixelZeroPoint: spec.pixelZeroPoint, resize: RESIZE_RULE,
    },
    temperature: head.temperature,
    thresholds: head.thresholds ? Array.from(head.thresholds) : null,
    backgroundLabel: body.backgroundLabel,
  };
  const model = buildClassifierModel(graph, head);
  try {
    const files: ModelFile[] = await layersModelFiles(model, { edgehead: metadata });
    const text = (path: string, value: string): ModelFile => ({ path, bytes: new TextEncoder().encode(value) });
    files.push(
      text('head.json', `${JSON.stringify(body)}\n`),
      text('labels.txt', `${head.labels.join('\n')}\n`),
      text('README.md', readme(metadata)),
    );
    return { files, backboneId, labels: head.labels };
  } finally {
    model.dispose();
  }
}

/**
 * Exports the serving head (or `version`) with its backbone into `out` (created if needed; files of the same
 * names are overwritten).
 * @throws EdgeheadError for a missing token, an unreachable service, an unknown version, no head yet, or a
 *   backbone that does not match its content address
 */
export async function runExportCommand(options: ExportOptions): Promise<ExportResult> {
  const url = new URL(options.url);
  const base = serviceBase(url);
  const token = adminToken(url, options.token);
  // A model's heads live under its route root; backbones are shared by every model.
  const api = base + modelApiRoot(options.model ?? DEFAULT_MODEL);
  const version = options.version ?? (await servingVersion(api, token));
  const { files, backboneId, labels } = await exportFiles(base, api, token, version, options.log);
  await mkdir(options.out, { recursive: true });
  for (const file of files) await writeFile(join(options.out, file.path), file.bytes);
  return { out: options.out, version, backboneId, labels, files: files.map((f) => ({ path: f.path, bytes: f.bytes.length })) };
}
