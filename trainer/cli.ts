/** The `edgehead` command line: one table of commands and their options (cli-options.ts) over the trainer's commands. */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_MODEL, MODEL_NAME_PATTERN } from '../shared/models/model-name.ts';
import { EdgeheadError } from '../shared/errors.ts';
import { resolveBackboneSource } from './backbone-source.ts';
import { importBackbone } from '../shared/store/import-backbone.ts';
import { classifyJsonLine, formatClassifyTable, runClassifyCommand } from './classify-command.ts';
import { commandHelp, integer, numeric, overviewHelp, parseCommand, text, UsageError, type CommandSpec, type Log, type OptionSpec, type Values } from './cli-options.ts';
import { localStateDir, openModelStore } from './model-store.ts';
import { runPushCommand } from './push-command.ts';
import { applyLocalMigrations, ensureAdminToken, prepareLocalState, readServiceConfig, runWranglerDev } from './serve-command.ts';
import { DEFAULT_PORT, findServiceUrl, isAlive, portFrom, readServiceRecord, resolveStateDir, serviceRecordPath, writeServiceRecord } from './service-record.ts';
import { runTrainCommand } from './train-command.ts';
import { formatRanking, runRankCommand } from './rank-command.ts';
import { formatEvaluation, runEvaluateCommand } from './evaluate-command.ts';
import { runExportCommand } from './export-command.ts';

const INTRO = 'edgehead: a custom image classifier at the edge (frozen pretrained backbone + trained head)';
const OUTRO = `Backbones: a local .tflite path, or an https URL pinned with --sha256 (or #sha256=HEX); downloads are
cached in ~/.cache/edgehead. Default: mobilenet_v2_1.0_224_quant from google-coral/test_data.
The local service: \`edgehead serve\` records its port in the state folder, and the other commands find it there.
Named models: train, push, evaluate, classify and export take --model NAME: that model's examples, head and runs instead of
\`default\`; push and train create it when missing. All models share the backbone.`;

const DATA_HELP = 'an ImageFolder: DIR/<label>/*.jpg or DIR/{train,val}/<label>/*.jpg';
const opt = {
  state: { type: 'string', value: 'DIR', help: 'local state folder (default: the running service\'s, else .wrangler/state; env EDGEHEAD_STATE_DIR)' },
  port: { type: 'string', value: 'N', help: 'port of the local service (default: the one `edgehead serve` recorded; env EDGEHEAD_PORT)' },
  url: { type: 'string', value: 'URL', help: 'base URL of the service (default: the local one `edgehead serve` started)' },
  data: { type: 'string', value: 'DIR', required: true, help: DATA_HELP },
  backbone: { type: 'string', value: 'PATH|URL', help: 'a .tflite backbone (default: the one the local service serves)' },
  sha256: { type: 'string', value: 'HEX', help: 'the sha256 a backbone URL must have' },
  remote: { type: 'boolean', help: 'use the deployed MODELS namespace instead of the local state' },
  seed: { type: 'string', value: 'N', help: 'random seed (default 42)' },
  threads: { type: 'string', value: 'N', help: `embed on N worker threads (default: every core, here ${availableParallelism()})` },
  json: { type: 'boolean', help: 'print the result as JSON' },
  quiet: { type: 'boolean', help: 'no progress bar' },
  model: { type: 'string', value: 'NAME', help: 'the named model (1-32 of a-z, 0-9, -) whose examples, head and runs to use (default: default)' },
} satisfies Record<string, OptionSpec>;

/** `--model NAME`: a named model; absent: `default`. */
function modelOption(values: Values): string {
  const raw = text(values, 'model');
  if (raw === undefined) return DEFAULT_MODEL;
  if (!MODEL_NAME_PATTERN.test(raw)) throw new UsageError(`--model must be 1 to 32 characters of a-z, 0-9 and "-", got ${JSON.stringify(raw)}`);
  return raw;
}

const threadsFrom = (values: Values) => integer(values, 'threads', availableParallelism(), 1, 64);

async function serve(values: Values, _positionals: string[], log: Log): Promise<number> {
  const port = portFrom(text(values, 'port')) ?? DEFAULT_PORT;
  const config = text(values, 'config');
  // Bad vars fail here, before anything is imported or started (the worker itself could only answer 500).
  await readServiceConfig(config === undefined ? undefined : resolve(config));
  const configArgs = config === undefined ? [] : ['--config', resolve(config)];
  const stateDir = localStateDir();
  const running = readServiceRecord(serviceRecordPath(stateDir));
  if (running && running.pid !== process.pid && isAlive(running.pid)) {
    throw new EdgeheadError('conflict', 'already_serving', `an edgehead service already serves ${stateDir} at ${running.url} (pid ${running.pid}); stop it first, or pass --state DIR`);
  }
  await prepareLocalState({ port, backbone: text(values, 'backbone'), sha256: text(values, 'sha256'), log });
  await applyLocalMigrations(log, configArgs);
  ensureAdminToken(log);
  const removeRecord = writeServiceRecord(port, stateDir);
  try {
    return await runWranglerDev(port, log, configArgs);
  } finally {
    removeRecord();
  }
}

function headKind(raw: string | undefined): 'linear' | 'mlp' | 'auto' {
  if (raw === undefined || raw === 'linear' || raw === 'mlp' || raw === 'auto') return raw ?? 'linear';
  throw new UsageError(`--head must be linear, mlp or auto, got ${JSON.stringify(raw)}`);
}

async function train(values: Values, _positionals: string[], log: Log, out: Log): Promise<number> {
  const result = await runTrainCommand({
    data: text(values, 'data')!,
    model: modelOption(values),
    backbone: text(values, 'backbone'),
    sha256: text(values, 'sha256'),
    seed: numeric(values, 'seed', 42),
    l2: numeric(values, 'l2'),
    valFraction: numeric(values, 'val-fraction', 0.2),
    publish: !values['no-publish'],
    remote: Boolean(values.remote),
    backgroundLabel: text(values, 'background-label'),
    augment: Boolean(values.augment) && !values['no-augment'],
    headKind: headKind(text(values, 'head')),
    threads: threadsFrom(values),
    quiet: Boolean(values.quiet || values.json),
    log: values.json ? log : out,
  });
  if (values.json) {
    const { head: _head, ...rest } = result;
    out(JSON.stringify({ ...rest, accuracy: result.metrics?.accuracy ?? null, version: result.published?.version ?? null }, null, 2));
  }
  return 0;
}

async function evaluate(values: Values, _positionals: string[], log: Log, out: Log): Promise<number> {
  const result = await runEvaluateCommand({
    data: text(values, 'data')!,
    model: modelOption(values),
    remote: Boolean(values.remote),
    out: text(values, 'out') ?? 'edgehead-report',
    threads: threadsFrom(values),
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify({ ...result.report, report: { html: result.htmlPath, json: result.jsonPath } }, null, 2) : formatEvaluation(result.report, result));
  return 0;
}

async function rank(values: Values, _positionals: string[], log: Log, out: Log): Promise<number> {
  const result = await runRankCommand({
    data: text(values, 'data')!,
    backbones: (values.backbone as string[] | undefined) ?? [],
    folds: integer(values, 'folds', 5, 2, 100),
    seed: numeric(values, 'seed', 42),
    threads: threadsFrom(values),
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify(result, null, 2) : formatRanking(result));
  return 0;
}

async function backbone(values: Values, positionals: string[], log: Log): Promise<number> {
  if (positionals[0] !== 'import' || !positionals[1] || positionals.length > 2) throw new UsageError('the only subcommand is: backbone import PATH|URL');
  const source = await resolveBackboneSource(positionals[1], { sha256: text(values, 'sha256') });
  const { kv, where, close } = await openModelStore({ remote: Boolean(values.remote) });
  try {
    const { manifest, stored } = await importBackbone(kv, source.bytes, source, new Date());
    log(`${stored ? 'imported' : 'already had'} backbone ${manifest.name} (${manifest.id}) in ${where}; it is now the one new heads are trained on`);
  } finally {
    await close();
  }
  return 0;
}

const serviceUrl = (values: Values) => findServiceUrl({ url: text(values, 'url'), port: portFrom(text(values, 'port')), stateDir: localStateDir() });

async function push(values: Values, _positionals: string[], log: Log, out: Log): Promise<number> {
  const summary = await runPushCommand({
    data: text(values, 'data')!,
    model: modelOption(values),
    url: serviceUrl(values),
    token: text(values, 'token') ?? process.env.EDGEHEAD_ADMIN_TOKEN,
    concurrency: integer(values, 'concurrency', 4, 1, 32),
    quiet: Boolean(values.quiet || values.json),
    log,
  });
  out(values.json ? JSON.stringify(summary, null, 2) : `pushed ${summary.created} new, ${summary.existing} already stored, ${summary.skipped} skipped by hash, ${summary.failed.length} failed`);
  return summary.failed.length ? 1 : 0;
}

async function classify(values: Values, files: string[], _log: Log, out: Log): Promise<number> {
  if (files.length === 0) throw new UsageError('classify needs at least one FILE');
  const json = Boolean(values.json);
  const rows = await runClassifyCommand({ files, url: serviceUrl(values), model: modelOption(values), topK: values['top-k'] === undefined ? undefined : integer(values, 'top-k', 1, 1, 1000) }, (row) => {
    if (json) out(classifyJsonLine(row));
  });
  if (!json) out(formatClassifyTable(rows));
  return rows.some((r) => !r.ok) ? 1 : 0;
}

async function exportModel(values: Values, _positionals: string[], log: Log, out: Log): Promise<number> {
  const dir = text(values, 'out');
  if (!dir) throw new UsageError('export needs --out DIR (the folder to write model.json and its weights to)');
  const result = await runExportCommand({ out: dir, model: modelOption(values), version: text(values, 'version'), url: serviceUrl(values), token: text(values, 'token') ?? process.env.EDGEHEAD_ADMIN_TOKEN, log });
  const bytes = result.files.reduce((sum, f) => sum + f.bytes, 0);
  out(values.json ? JSON.stringify(result, null, 2) : `exported head ${result.version} (${result.labels.join(', ')}) to ${result.out}: ${result.files.map((f) => f.path).join(', ')} (${(bytes / 1e6).toFixed(1)} MB)`);
  return 0;
}

/** Every command, in the order the overview lists them. */
export const COMMANDS: CommandSpec[] = [
  {
    name: 'serve',
    summary: 'run the edge service locally (what `npm start` runs)',
    description: `Import the backbone into the local state if needed, then run the edge service (wrangler dev) on
http://127.0.0.1:PORT, recording the port in the state folder for the other commands. Also: EDGEHEAD_BACKBONE=PATH|URL.`,
    options: { port: { ...opt.port, help: `port to listen on (default ${DEFAULT_PORT}; env EDGEHEAD_PORT)` }, state: opt.state, backbone: { ...opt.backbone, help: 'a .tflite backbone to import and serve' }, sha256: opt.sha256,
      config: { type: 'string', value: 'PATH', help: 'the wrangler configuration whose [vars] and bindings the service uses (default wrangler.toml)' } },
    run: serve,
  },
  {
    name: 'train',
    summary: 'train a head on a labelled folder and publish it',
    description: `Train a head on DIR with the frozen backbone the local service serves (or --backbone), print validation
metrics, and publish it (to the local state, or with --remote to the deployed MODELS namespace). Safe while the
service runs. The temperature and per-label "unknown" thresholds are fitted on the validation split; a warning is
printed (and stored) when the head barely beats the majority label or a colour-histogram baseline. Photos are
embedded on every core, each once: embeddings are cached by content.`,
    options: {
      data: opt.data,
      model: opt.model,
      state: opt.state,
      backbone: opt.backbone,
      sha256: opt.sha256,
      seed: opt.seed,
      l2: { type: 'string', value: 'X', help: 'L2 penalty of the head (default: chosen by validation)' },
      'val-fraction': { type: 'string', value: 'F', help: 'share of photos held out when DIR has no val split (default 0.2)' },
      augment: { type: 'boolean', help: 'also train on flipped and cropped views (embedded once, cached)' },
      'no-augment': { type: 'boolean', help: 'do not augment (overrides --augment)' },
      head: { type: 'string', value: 'linear|mlp|auto', help: 'head kind; auto keeps a one-hidden-layer head only if it validates better' },
      'background-label': { type: 'string', value: 'LABEL', help: 'a label meaning "none of the others" (classify answers null)' },
      'no-publish': { type: 'boolean', help: 'train and report, publish nothing' },
      remote: opt.remote,
      threads: opt.threads,
      json: opt.json,
      quiet: opt.quiet,
    },
    run: train,
  },
  {
    name: 'rank',
    summary: 'compare candidate backbones on a labelled folder',
    description: `Per backbone: the k-fold cross-validated accuracy of a linear head, a training-free score (leave-one-out
nearest-neighbour accuracy) and the time each took; recommends one and prints the command that switches the
service to it. Without --backbone: the local service's backbone plus known public backbones already downloaded.`,
    options: {
      data: opt.data,
      state: opt.state,
      backbone: { ...opt.backbone, multiple: true, help: 'a candidate .tflite backbone' },
      folds: { type: 'string', value: 'N', help: 'cross-validation folds (default 5)' },
      seed: opt.seed,
      threads: opt.threads,
      json: opt.json,
      quiet: opt.quiet,
    },
    run: rank,
  },
  {
    name: 'evaluate',
    summary: 'score the serving head on a labelled folder; HTML + JSON report',
    description: `Score the head the local service serves (the state of the running \`edgehead serve\`, or --state; or --remote)
on DIR (its val split when it has one): accuracy, per-label precision/recall/F1, confusion matrix, ECE and
reliability diagram, misclassified photos. Writes report.html (SVG charts) and report.json to --out.`,
    options: {
      data: opt.data,
      model: opt.model,
      state: opt.state,
      out: { type: 'string', value: 'DIR', help: 'report folder (default ./edgehead-report)' },
      remote: opt.remote,
      threads: opt.threads,
      json: opt.json,
      quiet: opt.quiet,
    },
    run: evaluate,
  },
  {
    name: 'backbone',
    args: 'import PATH|URL',
    summary: 'import a TFLite backbone for new heads',
    description: 'Import a TFLite backbone and make it the one new heads are trained on.',
    options: { sha256: opt.sha256, state: opt.state, remote: opt.remote },
    run: backbone,
  },
  {
    name: 'push',
    summary: 'upload a labelled folder as examples to the service',
    description: `Upload the labelled photos of DIR as examples to the service (default: the local one \`edgehead serve\`
started), concurrently with a progress bar. Photos the service already stores (same sha256) are skipped, so an
interrupted push resumes. The admin token comes from --token, EDGEHEAD_ADMIN_TOKEN, or for a local URL the
.dev.vars that \`edgehead serve\` created.`,
    options: {
      data: opt.data,
      model: opt.model,
      url: opt.url,
      port: opt.port,
      state: opt.state,
      token: { type: 'string', value: 'T', help: 'admin token (env EDGEHEAD_ADMIN_TOKEN)' },
      concurrency: { type: 'string', value: 'N', help: 'uploads in flight (default 4)' },
      json: opt.json,
      quiet: opt.quiet,
    },
    run: push,
  },
  {
    name: 'classify',
    args: 'FILE...',
    summary: 'classify photos with the running service',
    description: `Post each FILE to the service's /v1/classify (default: the local one \`edgehead serve\` started) and print a
table: file, label, confidence, the reason when the answer is "unknown", and the round trip in ms; with --json one
line per file. A file the service refuses is shown with its error; the exit code is 1 if any failed.`,
    options: { model: opt.model, url: opt.url, port: opt.port, state: opt.state, 'top-k': { type: 'string', value: 'N', help: 'predictions per answer in --json' }, json: { type: 'boolean', help: 'one JSON line per file' } },
    run: classify,
  },
  {
    name: 'export',
    summary: 'write the serving classifier as a TensorFlow.js model',
    description: `Write the classifier the service serves (or head version V) as a TensorFlow.js LayersModel that
tf.loadLayersModel runs in a browser or Node: model.json + weight shards (backbone, head and temperature in one
graph; input RGB 0..255, output calibrated probabilities per label), head.json (the head alone), labels.txt and a
README on preprocessing. Token as for push.`,
    options: {
      model: opt.model,
      out: { type: 'string', value: 'DIR', required: true, help: 'folder to write model.json, its weights, head.json and labels.txt to' },
      version: { type: 'string', value: 'V', help: 'head version to export (default: the serving one)' },
      url: opt.url,
      port: opt.port,
      state: opt.state,
      token: { type: 'string', value: 'T', help: 'admin token (env EDGEHEAD_ADMIN_TOKEN)' },
      json: opt.json,
    },
    run: exportModel,
  },
];

const OVERVIEW = overviewHelp(COMMANDS, INTRO, OUTRO);

/** `edgehead help [COMMAND]`, `edgehead --help`, `edgehead` alone. */
function help(topic: string | undefined, log: Log, out: Log): number {
  if (topic === undefined) {
    out(OVERVIEW);
    return 0;
  }
  const spec = COMMANDS.find((c) => c.name === topic);
  if (!spec) {
    log(`edgehead: unknown command ${JSON.stringify(topic)}\n\n${OVERVIEW}`);
    return 2;
  }
  out(commandHelp(spec));
  return 0;
}

/** Runs one CLI invocation; returns the exit code: 0 done, 1 failed, 2 usage error. User errors print one clear line, never a stack. */
export async function main(argv: string[], log: Log = (l) => console.error(l), out: Log = (l) => console.log(l)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) {
    out(OVERVIEW);
    return 1;
  }
  if (command === 'help' || command === '--help' || command === '-h') return help(rest[0], log, out);
  const spec = COMMANDS.find((c) => c.name === command);
  if (!spec) {
    log(`edgehead: unknown command ${JSON.stringify(command)}\n\n${OVERVIEW}`);
    return 2;
  }
  try {
    const parsed = parseCommand(spec, rest);
    if (!parsed) {
      out(commandHelp(spec));
      return 0;
    }
    // Every command that touches the local state reads it from here (model-store.ts), children included.
    if (spec.options.state) process.env.EDGEHEAD_STATE_DIR = resolveStateDir(text(parsed.values, 'state'));
    return await spec.run(parsed.values, parsed.positionals, log, out);
  } catch (error) {
    if (error instanceof UsageError) {
      log(`edgehead ${spec.name}: ${error.message}\n\n${commandHelp(spec)}`);
      return 2;
    }
    if (error instanceof EdgeheadError) {
      log(`edgehead: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
