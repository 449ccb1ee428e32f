/** The `edgehead` command line: thin argument handling over the trainer's commands. */
import { parseArgs } from 'node:util';
import { EdgeheadError } from '../shared/errors.ts';
import { DEFAULT_MODEL, MODEL_NAME_PATTERN } from '../shared/models/model-name.ts';
import { resolveBackboneSource } from './backbone-source.ts';
import { importBackbone } from '../shared/store/import-backbone.ts';
import { openModelStore } from './model-store.ts';
import { runPushCommand } from './push-command.ts';
import { applyLocalMigrations, ensureAdminToken, prepareLocalState, runWranglerDev } from './serve-command.ts';
import { runTrainCommand } from './train-command.ts';
import { formatRanking, runRankCommand } from './rank-command.ts';
import { formatEvaluation, runEvaluateCommand } from './evaluate-command.ts';
import { runExportCommand } from './export-command.ts';

const HELP = `edgehead: a custom image classifier at the edge (frozen pretrained backbone + trained head)

Usage:
  edgehead serve [--port 8787] [--backbone PATH|URL] [--sha256 HEX]
      Import the backbone into the local state if needed, then run the edge service (wrangler dev)
      on http://127.0.0.1:PORT. Also: EDGEHEAD_BACKBONE=PATH|URL. This is what \`npm start\` runs.
  edgehead train --data DIR [--backbone PATH|URL] [--seed N] [--l2 X] [--val-fraction F] [--augment] [--head linear|mlp|auto]
                 [--background-label LABEL] [--no-publish] [--remote] [--json]
      Train a head on DIR (DIR/{train,val}/<label>/* or DIR/<label>/*) with the frozen backbone the local
      service serves (or --backbone), print validation metrics, and publish it (to the local state, or
      with --remote to the deployed MODELS namespace). Safe while the service runs. The temperature and
      per-label "unknown" thresholds are fitted on the validation split; a warning is printed (and stored)
      when the head barely beats the majority label or a colour-histogram baseline. --augment also trains
      on flipped and cropped views (embedded once, cached). --head auto also trains a one-hidden-layer head
      (early-stopped on a slice of the training photos) and keeps it only if it validates better.
  edgehead rank --data DIR [--backbone PATH|URL ...] [--folds 5] [--json]
      Compare candidate backbones on DIR before deploying: per backbone, the k-fold cross-validated
      accuracy of a linear head, a training-free score (leave-one-out nearest-neighbour accuracy) and the
      time each took; recommends one, prints the command that switches the service to it, and warns when
      even the best barely beats the majority label or a colour-histogram baseline. Without --backbone:
      the local service's backbone plus known public backbones already downloaded (nothing is fetched).
  edgehead evaluate --data DIR [--out DIR] [--remote] [--json]
      Score the serving head (of the local state, or --remote) on DIR (its val split when it has one):
      accuracy, per-label precision/recall/F1, confusion matrix, ECE and reliability diagram, misclassified
      photos. Writes report.html (SVG charts) and report.json to --out (default ./edgehead-report).
  edgehead backbone import PATH|URL [--sha256 HEX] [--remote]
      Import a TFLite backbone and make it the one new heads are trained on.
  edgehead push --data DIR [--url URL] [--token T] [--concurrency 4] [--json]
      Upload the labelled photos of DIR (DIR/<label>/* or DIR/{train,val}/<label>/*) as examples to the
      service (default the local one), concurrently with a progress bar. Photos the service already
      stores (same sha256) are skipped, so an interrupted push resumes. The admin token comes from
      --token, EDGEHEAD_ADMIN_TOKEN, or for a local URL the .dev.vars that \`npm start\` created.
  edgehead export --out DIR [--version V] [--url URL] [--token T] [--json]
      Write the classifier the service serves (or head version V) as a TensorFlow.js LayersModel that
      tf.loadLayersModel runs in a browser or Node: model.json + weight shards (backbone, head and
      temperature in one graph; input RGB 0..255, output calibrated probabilities per label), head.json
      (the head alone), labels.txt and a README on preprocessing. Token as for push.
  edgehead --help

Named models: train, push and evaluate take --model NAME (1-32 of a-z, 0-9, -): the examples, head and runs of
that model instead of \`default\`; push and train create it when missing. All models share the backbone.

Backbones: a local .tflite path, or an https URL pinned with --sha256 (or #sha256=HEX); downloads are
cached in ~/.cache/edgehead. Default: mobilenet_v2_1.0_224_quant from google-coral/test_data.`;

type Log = (line: string) => void;

function number(raw: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new EdgeheadError(400, 'bad_argument', `--${name} must be a number, got ${JSON.stringify(raw)}`);
  return value;
}

/** `--model NAME`: a named model (train, push, evaluate); absent: `default`. */
function modelOption(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_MODEL;
  if (!MODEL_NAME_PATTERN.test(raw)) throw new EdgeheadError(400, 'bad_argument', `--model must be 1 to 32 characters of a-z, 0-9 and "-", got ${JSON.stringify(raw)}`);
  return raw;
}

function headKind(raw: string | undefined): 'linear' | 'mlp' | 'auto' {
  if (raw === undefined || raw === 'linear' || raw === 'mlp' || raw === 'auto') return raw ?? 'linear';
  throw new EdgeheadError(400, 'bad_argument', `--head must be linear, mlp or auto, got ${JSON.stringify(raw)}`);
}

async function train(args: string[], log: Log, out: Log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      backbone: { type: 'string' },
      sha256: { type: 'string' },
      seed: { type: 'string' },
      l2: { type: 'string' },
      'val-fraction': { type: 'string' },
      'no-publish': { type: 'boolean' },
      remote: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      'background-label': { type: 'string' },
      augment: { type: 'boolean' },
      'no-augment': { type: 'boolean' },
      head: { type: 'string' },
      model: { type: 'string' },
    },
  });
  if (!values.data) throw new EdgeheadError(400, 'bad_argument', 'train needs --data DIR (an ImageFolder: DIR/<label>/*.jpg)');
  const result = await runTrainCommand({
    data: values.data,
    backbone: values.backbone,
    sha256: values.sha256,
    seed: number(values.seed, 'seed', 42)!,
    l2: number(values.l2, 'l2', undefined),
    valFraction: number(values['val-fraction'], 'val-fraction', 0.2)!,
    publish: !values['no-publish'],
    remote: Boolean(values.remote),
    backgroundLabel: values['background-label'],
    augment: Boolean(values.augment) && !values['no-augment'],
    headKind: headKind(values.head),
    model: modelOption(values.model),
    quiet: Boolean(values.quiet || values.json),
    log: values.json ? log : out,
  });
  if (values.json) {
    const { head: _head, ...rest } = result;
    out(JSON.stringify({ ...rest, accuracy: result.metrics?.accuracy ?? null, version: result.published?.version ?? null }, null, 2));
  }
  return 0;
}

async function evaluate(args: string[], log: Log, out: Log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { data: { type: 'string' }, remote: { type: 'boolean' }, out: { type: 'string' }, json: { type: 'boolean' }, quiet: { type: 'boolean' }, model: { type: 'string' } },
  });
  if (!values.data) throw new EdgeheadError(400, 'bad_argument', 'evaluate needs --data DIR (an ImageFolder: DIR/<label>/*.jpg or DIR/{train,val}/<label>/*.jpg)');
  const result = await runEvaluateCommand({
    data: values.data,
    remote: Boolean(values.remote),
    model: modelOption(values.model),
    out: values.out ?? 'edgehead-report',
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify({ ...result.report, report: { html: result.htmlPath, json: result.jsonPath } }, null, 2) : formatEvaluation(result.report, result));
  return 0;
}

async function rank(args: string[], log: Log, out: Log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      backbone: { type: 'string', multiple: true },
      folds: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
    },
  });
  if (!values.data) throw new EdgeheadError(400, 'bad_argument', 'rank needs --data DIR (an ImageFolder: DIR/<label>/*.jpg or DIR/{train,val}/<label>/*.jpg)');
  const folds = number(values.folds, 'folds', 5)!;
  if (!Number.isInteger(folds) || folds < 2) throw new EdgeheadError(400, 'bad_argument', `--folds must be an integer >= 2, got ${values.folds}`);
  const result = await runRankCommand({
    data: values.data,
    backbones: values.backbone ?? [],
    folds,
    seed: number(values.seed, 'seed', 42)!,
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify(result, null, 2) : formatRanking(result));
  return 0;
}

async function backbone(args: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { sha256: { type: 'string' }, remote: { type: 'boolean' } } });
  if (positionals[0] !== 'import' || !positionals[1]) throw new EdgeheadError(400, 'bad_argument', 'usage: edgehead backbone import PATH|URL [--sha256 HEX] [--remote]');
  const source = await resolveBackboneSource(positionals[1], { sha256: values.sha256 });
  const { kv, where, close } = await openModelStore({ remote: Boolean(values.remote) });
  try {
    const { manifest, stored } = await importBackbone(kv, source.bytes, source, new Date());
    log(`${stored ? 'imported' : 'already had'} backbone ${manifest.name} (${manifest.id}) in ${where}; it is now the one new heads are trained on`);
  } finally {
    await close();
  }
  return 0;
}

async function push(args: string[], log: Log, out: Log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      data: { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
      concurrency: { type: 'string' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      model: { type: 'string' },
    },
  });
  if (!values.data) throw new EdgeheadError(400, 'bad_argument', 'push needs --data DIR (an ImageFolder: DIR/<label>/*.jpg)');
  const concurrency = number(values.concurrency, 'concurrency', 4)!;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new EdgeheadError(400, 'bad_argument', '--concurrency must be an integer from 1 to 32');
  const summary = await runPushCommand({
    data: values.data,
    url: values.url ?? 'http://127.0.0.1:8787',
    token: values.token ?? process.env.EDGEHEAD_ADMIN_TOKEN,
    concurrency,
    model: modelOption(values.model),
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify(summary, null, 2) : `pushed ${summary.created} new, ${summary.existing} already stored, ${summary.skipped} skipped by hash, ${summary.failed.length} failed`);
  return summary.failed.length ? 1 : 0;
}

async function exportModel(args: string[], log: Log, out: Log): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { out: { type: 'string' }, version: { type: 'string' }, url: { type: 'string' }, token: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (!values.out) throw new EdgeheadError(400, 'bad_argument', 'export needs --out DIR (the folder to write model.json and its weights to)');
  const result = await runExportCommand({
    out: values.out,
    version: values.version,
    url: values.url ?? 'http://127.0.0.1:8787',
    token: values.token ?? process.env.EDGEHEAD_ADMIN_TOKEN,
    log,
  });
  const bytes = result.files.reduce((sum, f) => sum + f.bytes, 0);
  out(values.json ? JSON.stringify(result, null, 2) : `exported head ${result.version} (${result.labels.join(', ')}) to ${result.out}: ${result.files.map((f) => f.path).join(', ')} (${(bytes / 1e6).toFixed(1)} MB)`);
  return 0;
}

async function serve(args: string[], log: Log): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' }, backbone: { type: 'string' }, sha256: { type: 'string' } } });
  const port = number(values.port, 'port', 8787)!;
  await prepareLocalState({ port, backbone: values.backbone, sha256: values.sha256, log });
  await applyLocalMigrations(log);
  ensureAdminToken(log);
  return runWranglerDev(port, log);
}

/** Runs one CLI invocation; returns the exit code. User errors print one clear line, never a stack. */
export async function main(argv: string[], log: Log = (l) => console.error(l), out: Log = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train':
        return await train(rest, log, out);
      case 'rank':
        return await rank(rest, log, out);
      case 'evaluate':
        return await evaluate(rest, log, out);
      case 'serve':
        return await serve(rest, log);
      case 'backbone':
        return await backbone(rest, log);
      case 'push':
        return await push(rest, log, out);
      case 'export':
        return await exportModel(rest, log, out);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        out(HELP);
        return command === undefined ? 1 : 0;
      default:
        log(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof EdgeheadError) {
      log(`edgehead: ${error.message}`);
      return 1;
    }
    if (error instanceof TypeError && (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      log(`edgehead: ${error.message}\n\n${HELP}`);
      return 2;
    }
    throw error;
  }
}
