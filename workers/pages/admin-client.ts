/** The `/admin` page's browser script (served at /assets/admin.js). The token lives in sessionStorage only. */
export const ADMIN_JS = String.raw`
const $ = (id) => document.getElementById(id);
const pct = (x) => (x * 100).toFixed(1) + '%';
const SVG = 'http://www.w3.org/2000/svg';
function el(tag, text, cls) { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
function svg(tag, attrs) { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); return e; }
function button(text, onClick) { const b = el('button', text); b.type = 'button'; b.addEventListener('click', onClick); return b; }
function say(text, error) { $('message').textContent = text; $('message').className = error ? 'error' : 'muted'; }

async function api(path, init) {
  init = init || {};
  const headers = Object.assign({ authorization: 'Bearer ' + sessionStorage.getItem('edgehead-token') }, init.headers || {});
  const response = await fetch(path, Object.assign({}, init, { headers }));
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.blob();
  if (!response.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + response.status);
  return body;
}

async function thumb(example) {
  const fig = el('figure'); const img = el('img'); img.alt = example.label + ' example';
  api('/v1/examples/' + example.id + '/image').then((blob) => { img.src = URL.createObjectURL(blob); }, () => {});
  fig.append(img);
  const cap = el('figcaption');
  cap.append(button('Relabel', () => relabelOne(example)), button('Remove', async () => { await api('/v1/examples/' + example.id, { method: 'DELETE' }); await refresh(); }));
  fig.append(cap);
  return fig;
}

async function relabelOne(example) {
  const to = window.prompt('New label for this photo', example.label);
  if (!to || to === example.label) return;
  await api('/v1/examples/' + example.id, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: to }) });
  await refresh();
}

async function allExamples(label) {
  const out = []; let cursor = null;
  do {
    const page = await api('/v1/examples?limit=200&label=' + encodeURIComponent(label) + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    out.push(...page.examples); cursor = page.cursor;
  } while (cursor);
  return out;
}

async function renameLabel(label) {
  const to = window.prompt('Rename label "' + label + '" to', label);
  if (!to || to === label) return;
  for (const e of await allExamples(label)) await api('/v1/examples/' + e.id, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: to }) });
  await refresh();
}

async function deleteLabel(label) {
  if (!window.confirm('Delete every photo labelled "' + label + '"?')) return;
  for (const e of await allExamples(label)) await api('/v1/examples/' + e.id, { method: 'DELETE' });
  await refresh();
}

async function renderLabels() {
  const { labels } = await api('/v1/labels');
  const box = $('labels'); box.replaceChildren();
  if (labels.length === 0) box.append(el('p', 'No labels yet: type a label, choose photos and press "Add photos".', 'muted'));
  for (const { label, count } of labels) {
    const card = el('div', null, 'card');
    card.append(el('h3', label + ' (' + count + ')'));
    card.append(button('Rename', () => renameLabel(label)), button('Delete', () => deleteLabel(label)));
    const thumbs = el('div', null, 'thumbs');
    const page = await api('/v1/examples?limit=8&label=' + encodeURIComponent(label));
    for (const e of page.examples) thumbs.append(await thumb(e));
    card.append(thumbs); box.append(card);
  }
}

async function renderSuspects() {
  const box = $('suspects'); box.replaceChildren();
  let page;
  try { page = await api('/v1/examples?suspect=true&limit=50'); } catch { return; }
  const suspects = page.examples.filter((e) => e.suspect);
  if (suspects.length === 0) return;
  box.append(el('h3', 'Photos that may be mislabelled'));
  const thumbs = el('div', null, 'thumbs');
  for (const e of suspects) {
    const fig = await thumb(e);
    fig.append(el('div', 'looks like ' + e.suspect.label + ' (' + pct(e.suspect.score) + ')'));
    fig.append(button('Fix', async () => { await api('/v1/examples/' + e.id, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ label: e.suspect.label }) }); await refresh(); }));
    thumbs.append(fig);
  }
  box.append(thumbs);
}

async function upload(label, files) {
  const progress = $('upload-progress'); progress.max = files.length; progress.value = 0;
  let failed = 0;
  for (const file of files) {
    try { await api('/v1/examples?label=' + encodeURIComponent(label), { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file }); }
    catch (e) { failed++; say(file.name + ': ' + e.message, true); }
    progress.value++;
  }
  say('Added ' + (files.length - failed) + ' of ' + files.length + ' photos to ' + label + '.', failed > 0);
  await refresh();
}

function table(id, head, rows) {
  const t = $(id); t.replaceChildren();
  const tr = el('tr'); for (const h of head) tr.append(el('th', h)); t.append(tr);
  for (const row of rows) { const r = el('tr'); for (const c of row) { const td = el('td'); td.append(c); r.append(td); } t.append(r); }
}

async function renderRuns() {
  const { runs } = await api('/v1/runs?limit=10');
  table('runs', ['started', 'trigger', 'decision', 'reason', 'published'], runs.map((r) => [r.startedAt, r.trigger, r.status, r.reason || '', r.publishedVersion || '']));
}

function accuracyChart(heads) {
  const box = $('accuracy-chart'); box.replaceChildren();
  const points = heads.filter((h) => h.metrics).reverse();
  if (points.length === 0) return;
  const w = 600, h = 160, pad = 30;
  const s = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-label': 'Accuracy across head versions', class: 'chart' });
  s.append(svg('line', { x1: pad, y1: h - pad, x2: w - 5, y2: h - pad, stroke: '#888' }));
  const x = (i) => pad + (points.length === 1 ? (w - pad) / 2 : i * (w - pad - 10) / (points.length - 1));
  const y = (a) => h - pad - a * (h - 2 * pad);
  s.append(svg('polyline', { points: points.map((p, i) => x(i) + ',' + y(p.metrics.accuracy)).join(' '), fill: 'none', stroke: '#1d6fb8', 'stroke-width': 2 }));
  points.forEach((p, i) => { const c = svg('circle', { cx: x(i), cy: y(p.metrics.accuracy), r: 4, fill: p.serving ? '#e76f51' : '#1d6fb8' }); const t = svg('title', {}); t.textContent = p.version + ': ' + pct(p.metrics.accuracy); c.append(t); s.append(c); });
  for (const a of [0, 1]) { const t = svg('text', { x: pad - 4, y: y(a) + 4, 'font-size': 10, 'text-anchor': 'end' }); t.textContent = a * 100 + '%'; s.append(t); }
  const label = svg('text', { x: 2, y: 14, 'font-size': 12 }); label.textContent = 'holdout accuracy per version (orange: serving)'; s.append(label);
  box.append(s);
}

function confusionChart(labels, matrix) {
  const cell = 48, left = 110, top = 40, n = labels.length;
  const s = svg('svg', { viewBox: '0 0 ' + (left + n * cell + 10) + ' ' + (top + n * cell + 10), role: 'img', 'aria-label': 'Confusion matrix: rows true label, columns predicted label', class: 'matrix' });
  const max = Math.max(1, ...matrix.flat());
  labels.forEach((l, i) => {
    const r = svg('text', { x: left - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end', 'font-size': 12 }); r.textContent = l; s.append(r);
    const c = svg('text', { x: left + i * cell + cell / 2, y: top - 8, 'text-anchor': 'middle', 'font-size': 12 }); c.textContent = l; s.append(c);
  });
  matrix.forEach((row, i) => row.forEach((v, j) => {
    const shade = Math.round(255 - 200 * v / max);
    s.append(svg('rect', { x: left + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, fill: 'rgb(' + shade + ',' + shade + ',255)' }));
    const t = svg('text', { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'middle', 'font-size': 13, fill: v / max > 0.6 ? '#fff' : '#000' });
    t.textContent = String(v); s.append(t);
  }));
  return s;
}

function perClassChart(perClass) {
  const rowH = 22, left = 110, w = 420;
  const s = svg('svg', { viewBox: '0 0 ' + w + ' ' + (perClass.length * rowH * 2 + 10), role: 'img', 'aria-label': 'Precision and recall per label', class: 'chart' });
  perClass.forEach((m, i) => {
    [['precision', m.precision, '#1d6fb8'], ['recall', m.recall, '#2a9d8f']].forEach(([name, v, color], k) => {
      const yy = i * rowH * 2 + k * rowH + 4;
      const t = svg('text', { x: left - 6, y: yy + 13, 'text-anchor': 'end', 'font-size': 12 }); t.textContent = m.label + ' ' + name; s.append(t);
      s.append(svg('rect', { x: left, y: yy, width: Math.max(1, v * (w - left - 60)), height: rowH - 6, fill: color }));
      const val = svg('text', { x: left + v * (w - left - 60) + 4, y: yy + 13, 'font-size': 12 }); val.textContent = pct(v); s.append(val);
    });
  });
  return s;
}

async function showHead(version) {
  const { head } = await api('/v1/heads/' + version);
  const box = $('head-detail'); box.replaceChildren(el('h3', 'Head ' + version));
  const m = head.metrics;
  if (!m) { box.append(el('p', 'This head has no stored metrics.', 'muted')); return; }
  box.append(el('p', 'Accuracy ' + pct(m.accuracy) + ' on ' + m.n + ' holdout photos.'));
  if (m.perClass) box.append(perClassChart(m.perClass));
  if (m.confusion) { const fig = el('figure'); fig.append(confusionChart(head.labels, m.confusion), el('figcaption', 'Confusion matrix (rows: true label, columns: predicted).')); box.append(fig); }
}

async function renderHeads() {
  const { heads } = await api('/v1/heads');
  accuracyChart(heads);
  table('heads', ['version', 'trained', 'accuracy', 'labels', ''], heads.map((h) => {
    const actions = el('span');
    actions.append(button('Details', () => showHead(h.version)));
    if (h.serving) actions.append(el('strong', ' serving'));
    else actions.append(button('Serve this one', async () => { await api('/v1/heads/' + h.version + '/promote', { method: 'POST' }); say('Now serving ' + h.version + '.'); await renderHeads(); }));
    return [h.version, h.trainedAt, h.metrics ? pct(h.metrics.accuracy) : '', h.labels.join(', '), actions];
  }));
  if (heads.length > 0) await showHead((heads.find((h) => h.serving) || heads[0]).version);
}

async function refresh() {
  try { await Promise.all([renderLabels(), renderSuspects(), renderRuns(), renderHeads()]); }
  catch (e) { say(e.message, true); }
}

async function open() {
  try { await api('/v1/labels'); }
  catch (e) { sessionStorage.removeItem('edgehead-token'); say('That token was refused: ' + e.message, true); return; }
  $('token-form').hidden = true; $('admin').hidden = false; say('');
  await refresh();
}

$('token-form').addEventListener('submit', (e) => { e.preventDefault(); sessionStorage.setItem('edgehead-token', $('token').value); open(); });
$('upload-form').addEventListener('submit', (e) => { e.preventDefault(); upload($('upload-label').value.trim(), [...$('upload-files').files]); });
$('upload-form').addEventListener('dragover', (e) => { e.preventDefault(); });
$('upload-form').addEventListener('drop', (e) => { e.preventDefault(); if ($('upload-label').value.trim()) upload($('upload-label').value.trim(), [...e.dataTransfer.files]); else say('Type the label first, then drop the photos.', true); });
$('train').addEventListener('click', async () => {
  const b = $('train'); b.disabled = true; $('train-status').textContent = 'Training...';
  try { const { run } = await api('/v1/train', { method: 'POST' }); $('train-status').textContent = 'Run ' + run.status + (run.reason ? ': ' + run.reason : '') + (run.publishedVersion ? ' (new version ' + run.publishedVersion + ')' : ''); }
  catch (e) { $('train-status').textContent = e.message; }
  b.disabled = false; await refresh();
});
if (sessionStorage.getItem('edgehead-token')) open();
`;
