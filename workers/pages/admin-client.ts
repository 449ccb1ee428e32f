/** The `/admin` page's browser script (served at /assets/admin.js). The token lives in sessionStorage only. */
import { ADMIN_CHARTS_JS } from './admin-charts.ts';

const ADMIN_MAIN_JS = String.raw`
const $ = (id) => document.getElementById(id);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const JSON_HEADERS = { 'content-type': 'application/json' };
function el(tag, text, cls) { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
function button(text, onClick, label) { const b = el('button', text); b.type = 'button'; if (label) b.setAttribute('aria-label', label); b.addEventListener('click', onClick); return b; }
/** The model every action goes to, kept in the URL (?model=NAME) so a reload keeps it. */
let model = new URLSearchParams(location.search).get('model') || 'default';
const root = () => model === 'default' ? '/v1' : '/v1/models/' + encodeURIComponent(model);
function say(text, error) { $('message').textContent = text; $('message').className = error ? 'error' : 'muted'; }

async function api(path, init) {
  init = init || {};
  const headers = Object.assign({ authorization: 'Bearer ' + sessionStorage.getItem('edgehead-token') }, init.headers || {});
  const response = await fetch(path, Object.assign({}, init, { headers }));
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.blob();
  if (!response.ok) { const error = new Error(body && body.error ? body.error.message : 'HTTP ' + response.status); error.code = body && body.error ? body.error.code : null; throw error; }
  return body;
}
/** Runs an admin action, says what failed in plain words, and redraws the page either way. */
async function act(action, done) {
  try { await action(); if (done) say(done); } catch (e) { say(e.message, true); }
  await refresh();
}
const exampleUrl = (id) => root() + '/examples/' + id;
const relabel = (id, label) => api(exampleUrl(id), { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ label }) });
const removeExample = (id) => api(exampleUrl(id), { method: 'DELETE' });

/** A thumbnail (a small PNG the worker makes from the original) with a caption and buttons under it. */
function thumb(id, alt, lines, buttons, gone) {
  const fig = el('figure'); const img = el('img'); img.alt = alt; img.width = 96; img.height = 96;
  if (gone) img.alt = alt + ' (deleted)';
  else api(exampleUrl(id) + '/thumbnail').then((blob) => { img.src = URL.createObjectURL(blob); }, () => { img.alt = alt + ' (could not be shown)'; });
  // Once drawn, the blob is no longer needed (every refresh makes new ones).
  img.addEventListener('load', () => URL.revokeObjectURL(img.src), { once: true });
  const cap = el('figcaption');
  for (const line of lines) cap.append(el('span', line));
  cap.append(...buttons);
  fig.append(img, cap);
  return fig;
}

function exampleThumb(e) {
  return thumb(e.id, e.label + ' photo', [], [
    button('Relabel', () => { const to = window.prompt('New label for this photo', e.label); if (to && to !== e.label) act(() => relabel(e.id, to.trim())); }, 'Relabel this ' + e.label + ' photo'),
    button('Remove', () => act(() => removeExample(e.id)), 'Remove this ' + e.label + ' photo'),
  ]);
}

async function renderLabels() {
  const { labels } = await api(root() + '/labels');
  const box = $('labels'); box.replaceChildren();
  $('known-labels').replaceChildren(...labels.map((l) => { const o = el('option'); o.value = l.label; return o; }));
  if (labels.length === 0) box.append(el('p', 'No labels yet: type a label, choose or drop photos and press "Add photos".', 'muted'));
  const pages = await Promise.all(labels.map((l) => api(root() + '/examples?limit=8&label=' + encodeURIComponent(l.label))));
  labels.forEach(({ label, count }, i) => {
    const card = el('div', null, 'card');
    const path = root() + '/labels/' + encodeURIComponent(label);
    card.append(el('h3', label + ' (' + count + ')'));
    card.append(el('div', null, 'row'));
    card.lastChild.append(
      button('Rename', () => { const to = window.prompt('Rename label "' + label + '" (all ' + count + ' photos) to', label); if (to && to.trim() !== label) act(() => api(path, { method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ label: to.trim() }) }), 'Renamed ' + label + ' to ' + to.trim() + '.'); }, 'Rename label ' + label),
      button('Delete', () => { if (window.confirm('Delete the label "' + label + '" and all ' + count + ' of its photos? This cannot be undone.')) act(() => api(path, { method: 'DELETE' }), 'Deleted ' + label + '.'); }, 'Delete label ' + label),
    );
    const thumbs = el('div', null, 'thumbs');
    thumbs.append(...pages[i].examples.map(exampleThumb));
    if (count > pages[i].examples.length) thumbs.append(button('Show all ' + count, () => showAll(label, thumbs).catch((e) => say(e.message, true)), 'Show all ' + count + ' ' + label + ' photos'));
    card.append(thumbs); box.append(card);
  });
}

/** Every photo of a label, page by page, into its card. */
async function showAll(label, thumbs) {
  const all = []; let cursor = null;
  do {
    const page = await api(root() + '/examples?limit=200&label=' + encodeURIComponent(label) + (cursor ? '&cursor=' + cursor : ''));
    all.push(...page.examples); cursor = page.cursor;
  } while (cursor);
  thumbs.replaceChildren(...all.map(exampleThumb));
}

async function renderSuspects() {
  const box = $('suspects'); box.replaceChildren();
  const suspects = (await api(root() + '/examples?suspect=true&limit=50')).examples;
  if (suspects.length === 0) return;
  box.append(el('h3', 'Photos that may be mislabelled'));
  const thumbs = el('div', null, 'thumbs');
  thumbs.append(...suspects.map((e) => thumb(e.id, e.label + ' photo that looks like ' + e.suspect.label, ['labelled ' + e.label, 'looks like ' + e.suspect.label + ' (' + pct(e.suspect.score) + ')'], [
    button('Fix', () => act(() => relabel(e.id, e.suspect.label)), 'Fix: relabel as ' + e.suspect.label),
    button('Remove', () => act(() => removeExample(e.id)), 'Remove this suspect photo'),
  ])));
  box.append(thumbs);
}

async function upload(label, files) {
  if (!label) { say('Type the label first, then add the photos.', true); return; }
  if (files.length === 0) { say('Choose or drop some photos first.', true); return; }
  const progress = $('upload-progress'); progress.max = files.length; progress.value = 0;
  const errors = $('upload-errors'); errors.replaceChildren();
  let failed = 0;
  for (const [i, file] of files.entries()) {
    $('upload-count').textContent = 'Adding ' + (i + 1) + ' of ' + files.length + '...';
    try { await api(root() + '/examples?label=' + encodeURIComponent(label), { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file }); }
    catch (e) { failed++; errors.append(el('li', file.name + ': ' + e.message)); }
    progress.value = i + 1;
  }
  $('upload-count').textContent = '';
  say('Added ' + (files.length - failed) + ' of ' + files.length + ' photos to ' + label + '.', failed > 0);
  await refresh();
}

function table(id, head, rows) {
  const t = $(id); t.replaceChildren();
  const tr = el('tr'); for (const h of head) { const th = el('th', h); th.scope = 'col'; tr.append(th); } t.append(tr);
  for (const row of rows) { const r = el('tr'); for (const c of row) { const td = el('td'); td.append(c); r.append(td); } t.append(r); }
}

async function renderRuns() {
  const { runs } = await api(root() + '/runs?limit=10');
  table('runs', ['started', 'trigger', 'decision', 'reason', 'published'], runs.map((r) => [r.startedAt.replace('T', ' ').slice(0, 19), r.trigger, r.status, r.reason || '', r.publishedVersion || '']));
  if (runs[0] && runs[0].status === 'running' && !training) watchRun(runs[0].id);
}

function runSummary(run) {
  return 'Run ' + run.status + (run.reason ? ': ' + run.reason : '') + (run.publishedVersion ? ' (new version ' + run.publishedVersion + ')' : '');
}

/** Live status of a run: polls it until it ends, then shows its decision and reason. */
let training = false;
async function watchRun(id) {
  training = true; $('train').disabled = true;
  const started = Date.now(), base = root();
  $('train-status').textContent = 'Run ' + id + ' is training...';
  for (;;) {
    const { run } = await api(base + '/runs/' + id).catch(() => ({ run: null }));
    if (run && run.status !== 'running') { $('train-elapsed').textContent = ''; $('train-status').textContent = runSummary(run); break; }
    $('train-elapsed').textContent = Math.round((Date.now() - started) / 1000) + ' s';
    await sleep(1000);
  }
  training = false; $('train').disabled = false;
  await refresh();
}

async function train() {
  training = true; $('train').disabled = true;
  $('train-status').textContent = 'Starting a training run...';
  const started = Date.now(), base = root();
  let run = null;
  const posted = api(base + '/train', { method: 'POST' }).then((body) => { run = body.run; }, (e) => { run = { status: 'failed', reason: e.message, code: e.code }; });
  // The request answers when the run ends; meanwhile the run log says how far it is.
  while (!run) {
    await Promise.race([posted, sleep(1000)]);
    if (run) break;
    const latest = (await api(base + '/runs?limit=1').catch(() => ({ runs: [] }))).runs[0];
    if (latest && latest.status === 'running') $('train-status').textContent = 'Run ' + latest.id + ' is training...';
    $('train-elapsed').textContent = Math.round((Date.now() - started) / 1000) + ' s';
  }
  $('train-elapsed').textContent = '';
  training = false; $('train').disabled = false;
  if (run.code === 'training_in_progress') {
    // Another run (the cron's, or another tab's) holds the lease: follow that one instead.
    const going = (await api(root() + '/runs?limit=10')).runs.find((r) => r.status === 'running');
    if (going) return watchRun(going.id);
  }
  $('train-status').textContent = run.id ? runSummary(run) : 'Training failed: ' + run.reason;
  await refresh();
}

async function showMistakes(version, box) {
  const { mistakes } = await api(root() + '/heads/' + version + '/mistakes');
  box.append(el('h4', 'Holdout photos it gets wrong (' + mistakes.length + ')'));
  if (mistakes.length === 0) { box.append(el('p', 'None recorded: every holdout photo right, or a head not trained by the service.', 'muted')); return; }
  const thumbs = el('div', null, 'thumbs mistakes');
  thumbs.append(...mistakes.map((m) => {
    const now = m.currentLabel === null ? 'photo deleted since' : m.currentLabel !== m.label ? 'now labelled ' + m.currentLabel : null;
    const lines = ['true: ' + m.label, 'predicted: ' + m.predicted + ' (' + pct(m.confidence) + ')'].concat(now ? [now] : []);
    const actions = m.currentLabel === null || m.currentLabel === m.predicted ? [] : [button('Relabel as ' + m.predicted, () => act(() => relabel(m.id, m.predicted)))];
    return thumb(m.id, m.label + ' photo predicted as ' + m.predicted, lines, actions, m.currentLabel === null);
  }));
  box.append(thumbs);
}

let shownHead = null;
async function showHead(version) {
  shownHead = version;
  const { head, serving } = await api(root() + '/heads/' + version);
  const box = $('head-detail'); box.replaceChildren(el('h3', 'Head ' + version + (serving ? ' (serving)' : '')));
  const m = head.metrics;
  if (!m) box.append(el('p', 'This head has no stored metrics.', 'muted'));
  else {
    box.append(el('p', 'Accuracy ' + pct(m.accuracy) + ', balanced accuracy ' + pct(m.balancedAccuracy) + ', macro F1 ' + m.macroF1.toFixed(2) + ' on ' + m.n + ' holdout photos.'));
    if (m.perClass) { const fig = el('figure'); fig.append(perClassChart(m.perClass), el('figcaption', 'Precision and recall per label.')); box.append(fig); }
    if (m.confusion) { const fig = el('figure'); fig.append(confusionChart(head.labels, m.confusion), el('figcaption', 'Confusion matrix (rows: true label, columns: predicted).')); box.append(fig); }
  }
  await showMistakes(version, box);
}

async function renderHeads() {
  const { heads, serving } = await api(root() + '/heads');
  const chart = accuracyChart(heads);
  $('accuracy-chart').replaceChildren(...(chart ? [chart] : []));
  table('heads', ['version', 'trained', 'accuracy', 'labels', ''], heads.map((h) => {
    const actions = el('span', null, 'row');
    actions.append(button('Details', () => showHead(h.version).catch((e) => say(e.message, true)), 'Details of ' + h.version));
    if (h.serving) actions.append(el('strong', 'serving'));
    else {
      const text = serving && h.version < serving ? 'Roll back to this one' : 'Serve this one';
      actions.append(button(text, () => act(() => api(root() + '/heads/' + h.version + '/promote', { method: 'POST' }), 'Now serving ' + h.version + '.')));
    }
    return [h.version, h.trainedAt.replace('T', ' ').slice(0, 19), h.metrics ? pct(h.metrics.accuracy) : '', h.labels.join(', '), actions];
  }));
  if (heads.length === 0) { $('head-detail').replaceChildren(el('p', 'No head yet: add photos for at least two labels and press Train.', 'muted')); return; }
  const keep = heads.find((h) => h.version === shownHead);
  await showHead(keep ? keep.version : (heads.find((h) => h.serving) || heads[0]).version);
}

/** Switches every action to another model and writes it in the URL. */
function pick(name) {
  model = name; shownHead = null;
  history.replaceState(null, '', name === 'default' ? '/admin' : '/admin?model=' + encodeURIComponent(name));
  $('delete-model').hidden = name === 'default';
}

async function renderModels() {
  const { models } = await api('/v1/models');
  if (!models.some((m) => m.name === model)) { if (model !== 'default') say('There is no model "' + model + '": showing default.', true); pick('default'); }
  $('model-pick').replaceChildren(...models.map((m) => { const o = el('option', m.name); o.value = m.name; o.selected = m.name === model; return o; }));
  $('delete-model').hidden = model === 'default';
}

async function createModel(name) {
  if (!/^[a-z0-9-]{1,32}$/.test(name)) { say('A model name is 1 to 32 lowercase letters (a-z), digits and hyphens, like "birds" or "shop-2".', true); return; }
  try { await api('/v1/models', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name }) }); }
  catch (e) { say(e.code === 'model_exists' ? 'There is already a model called "' + name + '".' : e.message, true); return; }
  $('new-model').value = ''; pick(name); await renderModels();
  say('Created model ' + name + '.');
  await refresh();
}

async function refresh() {
  const results = await Promise.allSettled([renderLabels(), renderSuspects(), renderRuns(), renderHeads()]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) say(failed.reason.message, true);
}

async function open() {
  try { await renderModels(); }
  catch (e) { sessionStorage.removeItem('edgehead-token'); say('That token was refused: ' + e.message, true); return; }
  $('token-form').hidden = true; $('admin').hidden = false; say('');
  await refresh();
}

$('token-form').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('edgehead-token', $('token').value); open(); });
// The picked files are taken (and the picker cleared) when the upload starts, so photos picked while it runs are kept.
$('upload-form').addEventListener('submit', (e) => { e.preventDefault(); const files = [...$('upload-files').files]; $('upload-files').value = ''; upload($('upload-label').value.trim(), files); });
const drop = $('upload-form');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); upload($('upload-label').value.trim(), [...e.dataTransfer.files]); });
$('train').addEventListener('click', train);
$('model-pick').addEventListener('change', (e) => { pick(e.target.value); say(''); refresh(); });
$('create-model-form').addEventListener('submit', (e) => { e.preventDefault(); createModel($('new-model').value.trim()); });
$('delete-model').addEventListener('click', () => {
  if (model === 'default' || !window.confirm('Delete the model "' + model + '" with all its photos, runs and heads? This cannot be undone.')) return;
  const gone = model;
  act(async () => { await api('/v1/models/' + encodeURIComponent(gone), { method: 'DELETE' }); pick('default'); await renderModels(); }, 'Deleted model ' + gone + '.');
});
if (sessionStorage.getItem('edgehead-token')) open();
`;

export const ADMIN_JS = ADMIN_CHARTS_JS + ADMIN_MAIN_JS;
