/** The `/admin` page's charts, drawn in the browser as inline SVG (part of /assets/admin.js; no chart library). */
export const ADMIN_CHARTS_JS = String.raw`
const SVG = 'http://www.w3.org/2000/svg';
const pct = (x) => (x * 100).toFixed(1) + '%';
function svg(tag, attrs, text) { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); if (text != null) e.textContent = text; return e; }
/** Long labels are cut to fit the chart; the whole label stays in a tooltip. */
function short(label, n) { return label.length > n ? label.slice(0, n - 1) + '\u2026' : label; }
function labelText(attrs, label, n) { const t = svg('text', attrs, short(label, n)); t.append(svg('title', {}, label)); return t; }

function accuracyChart(heads) {
  const points = heads.filter((h) => h.metrics).reverse();
  if (points.length === 0) return null;
  const w = 600, h = 170, pad = 36;
  const s = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img', 'aria-label': 'Accuracy across head versions', class: 'chart' });
  const x = (i) => pad + (points.length === 1 ? (w - pad) / 2 : i * (w - pad - 16) / (points.length - 1));
  const y = (a) => h - pad - a * (h - 2 * pad);
  for (const a of [0, 0.5, 1]) {
    s.append(svg('line', { x1: pad, y1: y(a), x2: w - 8, y2: y(a), stroke: a === 0 ? '#888' : '#ddd' }));
    s.append(svg('text', { x: pad - 4, y: y(a) + 4, 'font-size': 11, 'text-anchor': 'end' }, a * 100 + '%'));
  }
  s.append(svg('polyline', { points: points.map((p, i) => x(i) + ',' + y(p.metrics.accuracy)).join(' '), fill: 'none', stroke: '#1d6fb8', 'stroke-width': 2 }));
  points.forEach((p, i) => {
    const c = svg('circle', { cx: x(i), cy: y(p.metrics.accuracy), r: p.serving ? 6 : 4, fill: p.serving ? '#c2410c' : '#1d6fb8' });
    c.append(svg('title', {}, p.version + ': ' + pct(p.metrics.accuracy) + ' on ' + p.metrics.n + ' holdout photos' + (p.serving ? ' (serving)' : '')));
    s.append(c);
  });
  s.append(svg('text', { x: pad, y: h - 10, 'font-size': 11 }, 'oldest'));
  s.append(svg('text', { x: w - 8, y: h - 10, 'font-size': 11, 'text-anchor': 'end' }, 'newest'));
  s.append(svg('text', { x: 2, y: 14, 'font-size': 12 }, 'Holdout accuracy per version (larger orange dot: serving)'));
  return s;
}

function confusionChart(labels, matrix) {
  const cell = 48, left = 110, top = 40, n = labels.length;
  const s = svg('svg', { viewBox: '0 0 ' + (left + n * cell + 10) + ' ' + (top + n * cell + 10), role: 'img', 'aria-label': 'Confusion matrix: rows true label, columns predicted label', class: 'matrix' });
  const max = Math.max(1, ...matrix.flat());
  labels.forEach((l, i) => {
    s.append(labelText({ x: left - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end', 'font-size': 12 }, l, 14));
    s.append(labelText({ x: left + i * cell + cell / 2, y: top - 8, 'text-anchor': 'middle', 'font-size': 12 }, l, 6));
  });
  matrix.forEach((row, i) => row.forEach((v, j) => {
    const shade = Math.round(255 - 200 * v / max);
    const r = svg('rect', { x: left + j * cell, y: top + i * cell, width: cell - 2, height: cell - 2, fill: i === j ? 'rgb(' + shade + ',' + shade + ',255)' : 'rgb(255,' + shade + ',' + shade + ')' });
    r.append(svg('title', {}, v + ' ' + labels[i] + ' photos predicted ' + labels[j]));
    s.append(r);
    s.append(svg('text', { x: left + j * cell + cell / 2, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'middle', 'font-size': 13, fill: v / max > 0.6 ? '#fff' : '#000' }, String(v)));
  }));
  return s;
}

function perClassChart(perClass) {
  const rowH = 22, left = 150, w = 440, span = w - left - 60;
  const s = svg('svg', { viewBox: '0 0 ' + w + ' ' + (perClass.length * rowH * 2 + 10), role: 'img', 'aria-label': 'Precision and recall per label', class: 'chart' });
  perClass.forEach((m, i) => {
    [['precision', m.precision, '#1d6fb8'], ['recall', m.recall, '#2a7d6f']].forEach(([name, v, color], k) => {
      const yy = i * rowH * 2 + k * rowH + 4;
      const t = svg('text', { x: left - 6, y: yy + 13, 'text-anchor': 'end', 'font-size': 12 }, short(m.label, 14) + ' ' + name);
      t.append(svg('title', {}, m.label + ' ' + name)); s.append(t);
      s.append(svg('rect', { x: left, y: yy, width: Math.max(1, v * span), height: rowH - 6, fill: color }));
      s.append(svg('text', { x: left + v * span + 4, y: yy + 13, 'font-size': 12 }, pct(v)));
    });
  });
  return s;
}
`;
