/** The evaluation report as one self-contained HTML page with inline SVG charts (no scripts, no network). */
import type { ReliabilityBin } from '../shared/head/calibration.ts';
import type { ClassMetrics } from '../shared/head/metrics.ts';

export interface Misclassified {
  /** Path relative to the data folder. */
  name: string;
  /** Relative link to the copy of the photo in the report folder (photos/...), so the folder can be moved. */
  href: string;
  label: string;
  predicted: string;
  score: number;
}

export interface EvaluationReport {
  createdAt: string;
  data: string;
  /** 'val' when the folder has a val split, else 'all'. */
  split: 'val' | 'all';
  head: { version: string; labels: string[]; temperature: number; trainedAt: string };
  backbone: { id: string; name: string };
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  macroF1: number;
  logLoss: number;
  /**
   * ECE of calibrated scores, cross-fitted: each photo scored by a temperature fitted on the other fold of
   * these photos (calibrationFolds), never on itself. The reliability diagram shows the same scores.
   */
  ece: number;
  /** ECE with the served temperature; in-sample when these photos are the ones it was fitted on. */
  eceServed: number;
  /** ECE at temperature 1. */
  eceUncalibrated: number;
  /** The cross-fitting folds: photo names (relative to the data folder) each temperature was fitted on and scored. */
  calibrationFolds: { temperature: number; fittedOn: string[]; scoredOn: string[] }[];
  /** Which photos each figure comes from, in words. */
  sources: { accuracy: string; perLabel: string; confusion: string; unknown: string; misclassified: string; calibration: string };
  perClass: ClassMetrics[];
  /** confusion[true][predicted], in head.labels order. */
  confusion: number[][];
  reliability: ReliabilityBin[];
  /** Answers the served head's thresholds turn into "unknown", and the accuracy of the rest. */
  unknown: { count: number; rate: number; acceptedAccuracy: number | null };
  misclassified: Misclassified[];
  warnings: string[];
}

const esc = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
/** Scores, precision, recall, F1: two decimals are all a reader can use. */
const num = (x: number) => x.toFixed(2);
/** Calibration errors are small: three decimals. */
const err = (x: number) => x.toFixed(3);
/** Temperatures range from 0.02 to 50: three significant digits. */
const sig = (x: number) => String(Number(x.toPrecision(3)));
/** Longest label shown in a chart (the full label is in the tooltip); about 7 px a character at 12 px. */
const MAX_LABEL = 20;
const CHAR_PX = 7;
const short = (label: string) => (label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label);
const labelText = (label: string, attrs: string) => `<text ${attrs}>${esc(short(label))}<title>${esc(label)}</title></text>`;

/** Reliability diagram: per-bin accuracy bars against the diagonal, with the bin counts (bars and numbers) underneath. */
function reliabilitySvg(bins: ReliabilityBin[]): string {
  // pad leaves room on the left for the tick values and the turned axis title side by side.
  const size = 300, pad = 48, barsTop = pad + size + 56, barsHeight = 40;
  const x = (v: number) => pad + v * size;
  const y = (v: number) => pad + (1 - v) * size;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const parts: string[] = [];
  for (const b of bins) {
    const w = (b.upper - b.lower) * size;
    if (b.count > 0) {
      parts.push(`<rect class="acc" x="${x(b.lower) + 1}" y="${y(b.accuracy)}" width="${w - 2}" height="${(b.accuracy * size).toFixed(1)}"><title>confidence ${num(b.confidence)}, accuracy ${num(b.accuracy)}, ${b.count} photos</title></rect>`);
      const top = Math.max(b.accuracy, b.confidence), bottom = Math.min(b.accuracy, b.confidence);
      parts.push(`<rect class="gap" x="${x(b.lower) + 1}" y="${y(top)}" width="${w - 2}" height="${((top - bottom) * size).toFixed(1)}"/>`);
    }
    const h = (b.count / maxCount) * barsHeight;
    parts.push(`<rect class="count" x="${x(b.lower) + 1}" y="${barsTop + barsHeight - h}" width="${w - 2}" height="${h.toFixed(1)}"><title>${b.count} photos</title></rect>`);
    // The count above its bar; the space for it is reserved above the tallest bar.
    if (b.count > 0) parts.push(`<text class="countlabel" x="${x(b.lower) + w / 2}" y="${barsTop + barsHeight - h - 3}" text-anchor="middle">${b.count}</text>`);
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<text x="${x(t)}" y="${pad + size + 16}" text-anchor="middle">${t}</text><text x="${pad - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`)
    .join('');
  const height = barsTop + barsHeight + 6;
  return `<svg class="chart" role="img" aria-label="reliability diagram" viewBox="0 0 ${size + 2 * pad + 20} ${height}" width="${size + 2 * pad + 20}">
<rect x="${pad}" y="${pad}" width="${size}" height="${size}" class="frame"/>
${parts.join('\n')}
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" class="diagonal"/>
${ticks}
<text x="${pad + size / 2}" y="${pad + size + 32}" text-anchor="middle" class="axis">confidence (top score)</text>
<text x="10" y="${pad + size / 2}" transform="rotate(-90 10 ${pad + size / 2})" text-anchor="middle" class="axis">accuracy</text>
<text x="12" y="${barsTop + barsHeight / 2}" transform="rotate(-90 12 ${barsTop + barsHeight / 2})" text-anchor="middle" class="axis">photos</text>
</svg>`;
}

/** Grouped bars of precision, recall and F1 per label. */
function perClassSvg(perClass: ClassMetrics[]): string {
  const longest = Math.max(...perClass.map((m) => short(m.label).length));
  // Each group is at least as wide as its label, so neighbouring labels never touch.
  const barW = 16, group = Math.max(barW * 3 + 24, longest * CHAR_PX + 12), pad = 40, height = 200;
  const width = pad + perClass.length * group + 20;
  const series: [keyof ClassMetrics, string][] = [['precision', 'p'], ['recall', 'r'], ['f1', 'f']];
  const bars = perClass
    .map((m, i) =>
      series
        .map(([key, cls], s) => {
          const v = m[key] as number;
          const x0 = pad + i * group + (group - barW * 3) / 2 + s * barW;
          return `<rect class="${cls}" x="${x0}" y="${20 + (1 - v) * height}" width="${barW - 2}" height="${(v * height).toFixed(1)}"><title>${esc(m.label)} ${key} ${num(v)}</title></rect>`;
        })
        .join('') + labelText(m.label, `x="${pad + i * group + group / 2}" y="${height + 36}" text-anchor="middle"`),
    )
    .join('\n');
  const grid = [0, 0.5, 1].map((t) => `<line x1="${pad}" x2="${width - 10}" y1="${20 + (1 - t) * height}" y2="${20 + (1 - t) * height}" class="grid"/><text x="${pad - 6}" y="${24 + (1 - t) * height}" text-anchor="end">${t}</text>`).join('');
  return `<div><svg class="chart" role="img" aria-label="precision, recall and F1 per label" viewBox="0 0 ${width} ${height + 50}" width="${width}">${grid}${bars}</svg>
<p class="legend"><span class="key p"></span>precision <span class="key r"></span>recall <span class="key f"></span>F1</p></div>`;
}

/** Confusion matrix as a heat map, rows = true label, columns = predicted. */
function confusionSvg(labels: string[], confusion: number[][]): string {
  const cell = 56;
  const longest = CHAR_PX * Math.max(...labels.map((l) => short(l).length));
  // Column labels wider than a cell are turned 45 degrees (parallel lines 40 px apart, clear of each other).
  const turned = longest > cell - 6;
  const left = 24 + longest, top = turned ? 36 + Math.ceil(longest * Math.SQRT1_2) : 56;
  const k = labels.length;
  const cells: string[] = [];
  confusion.forEach((row, t) => {
    const total = Math.max(1, row.reduce((a, b) => a + b, 0));
    row.forEach((count, p) => {
      const share = count / total;
      const cls = t === p ? 'hit' : 'miss';
      cells.push(`<rect class="${cls}" x="${left + p * cell}" y="${top + t * cell}" width="${cell - 2}" height="${cell - 2}" fill-opacity="${(0.08 + 0.92 * share).toFixed(3)}"><title>true ${esc(labels[t])}, predicted ${esc(labels[p])}: ${count}</title></rect>`);
      cells.push(`<text x="${left + p * cell + cell / 2 - 1}" y="${top + t * cell + cell / 2 + 4}" text-anchor="middle" class="${share > 0.6 ? 'light' : ''}">${count}</text>`);
    });
  });
  const heads = labels
    .map((l, i) => {
      const cx = left + i * cell + cell / 2;
      const column = turned ? labelText(l, `transform="translate(${cx} ${top - 8}) rotate(-45)" text-anchor="start"`) : labelText(l, `x="${cx}" y="${top - 8}" text-anchor="middle"`);
      return column + labelText(l, `x="${left - 8}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end"`);
    })
    .join('');
  const w = left + k * cell + (turned ? Math.ceil(longest * Math.SQRT1_2) : 0) + 20, h = top + k * cell + 20;
  return `<svg class="chart" role="img" aria-label="confusion matrix" viewBox="0 0 ${w} ${h}" width="${w}">
<text x="${left + (k * cell) / 2}" y="16" text-anchor="middle" class="axis">predicted</text>
<text x="4" y="${top - 8}" class="axis">true</text>${heads}${cells.join('')}</svg>`;
}

/** The line under a figure naming the photos it comes from. */
const source = (text: string) => `<p class="source">Photos: ${esc(text)}.</p>`;

/** Renders the report. Photo links are relative to where the HTML is written. */
export function renderReportHtml(r: EvaluationReport): string {
  const rows = r.perClass
    .map((m) => `<tr><td>${esc(m.label)}</td><td>${num(m.precision)}</td><td>${num(m.recall)}</td><td>${num(m.f1)}</td><td>${m.support}</td></tr>`)
    .join('');
  const misses = r.misclassified.length
    ? r.misclassified
        .map((m) => `<figure><img src="${esc(m.href)}" alt="${esc(m.name)}"><figcaption><b>${esc(m.label)}</b> taken for <b>${esc(m.predicted)}</b> (${num(m.score)})<br><span>${esc(m.name)}</span></figcaption></figure>`)
        .join('\n')
    : '<p>None: every photo was classified correctly.</p>';
  const warnings = r.warnings.map((w) => `<p class="warning">⚠ ${esc(w)}</p>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgehead evaluation: ${esc(r.head.version)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1d2330;background:#fff}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.meta{color:#5b6577;margin:0 0 16px}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid #dde2ea;border-radius:8px;padding:10px 16px;min-width:120px}.card b{display:block;font-size:24px}
.card span{color:#5b6577;font-size:13px}.warning{background:#fff4e0;border:1px solid #f0b44c;border-radius:6px;padding:10px 14px}
.row{display:flex;flex-wrap:wrap;gap:32px;align-items:flex-start}
table{border-collapse:collapse}td,th{padding:4px 12px;text-align:right;border-bottom:1px solid #eef1f5}td:first-child,th:first-child{text-align:left}
svg text{font-size:12px;fill:#1d2330}svg .axis{fill:#5b6577}.frame{fill:#fafbfc;stroke:#c8cfda}
.acc{fill:#3b7dd8}.gap{fill:#e0474c;fill-opacity:.25;stroke:#e0474c;stroke-width:1.5}.note{max-width:440px}.count{fill:#9aa4b4}.diagonal{stroke:#1d2330;stroke-dasharray:4 3}
.grid{stroke:#e3e7ee}.source{color:#5b6577;font-size:13px;margin:8px 0 0}svg text.countlabel{font-size:10px;fill:#5b6577}.p,.key.p{fill:#3b7dd8;background:#3b7dd8}.r,.key.r{fill:#2ea37a;background:#2ea37a}.f,.key.f{fill:#e39a2d;background:#e39a2d}
.key{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px}.legend{margin:0;color:#5b6577}
.hit{fill:#2b6cc4}.miss{fill:#d9434a}svg text.light{fill:#fff;font-weight:600}
.photos{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px}
figure{margin:0;border:1px solid #dde2ea;border-radius:6px;overflow:hidden}figure img{width:100%;height:130px;object-fit:cover;display:block;background:#eef1f5}
figcaption{padding:6px 8px;font-size:13px}figcaption span{color:#5b6577;font-size:11px;word-break:break-all}
</style></head><body>
<h1>Evaluation of head ${esc(r.head.version)}</h1>
<p class="meta">${esc(r.data)} (${r.split === 'val' ? 'val split' : 'all photos'}, ${r.n} photos) · backbone ${esc(r.backbone.name)} (${esc(r.backbone.id)}) · trained ${esc(r.head.trainedAt)} · report ${esc(r.createdAt)}</p>
${warnings}
<div class="cards">
<div class="card"><b>${pct(r.accuracy)}</b><span>accuracy</span></div>
<div class="card"><b>${pct(r.balancedAccuracy)}</b><span>balanced accuracy</span></div>
<div class="card"><b>${num(r.macroF1)}</b><span>macro F1</span></div>
<div class="card"><b>${err(r.ece)}</b><span>ECE (cross-fitted; ${err(r.eceUncalibrated)} at T = 1)</span></div>
<div class="card"><b>${pct(r.unknown.rate)}</b><span>answered "unknown"${r.unknown.acceptedAccuracy === null ? '' : `; ${pct(r.unknown.acceptedAccuracy)} right of the rest`}</span></div>
</div>
${source(`Accuracy, balanced accuracy, macro F1: ${r.sources.accuracy}. Unknown: ${r.sources.unknown}. ECE: see Reliability`)}
<h2>Reliability</h2>
<div class="row">${reliabilitySvg(r.reliability)}
<div class="note"><p>Blue bars: accuracy of the photos whose top score falls in each bin. Red boxes: the gap to the dashed
diagonal, where a calibrated head's bars end (of the photos it scores at 0.8, about 80% are right). Grey: photos per bin.</p>
<p>Expected calibration error (ECE) is the photo-weighted mean gap: <b>${err(r.ece)}</b> with temperatures fitted on the
other fold (${r.calibrationFolds.map((f) => sig(f.temperature)).join(' and ') || 'none'}), ${err(r.eceServed)} with the served
temperature ${sig(r.head.temperature)} (in-sample if these photos are the ones it was fitted on), ${err(r.eceUncalibrated)} at temperature 1.</p></div></div>
${source(r.sources.calibration)}
<h2>Per label</h2>
<div class="row"><table><thead><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>photos</th></tr></thead><tbody>${rows}</tbody></table>
${perClassSvg(r.perClass)}</div>
${source(r.sources.perLabel)}
<h2>Confusion matrix</h2>
<div class="row">${confusionSvg(r.head.labels, r.confusion)}
<p class="note">Rows: the true label; columns: what the head answered. Blue: right, red: wrong; the darker, the larger the share of the row.</p></div>
${source(r.sources.confusion)}
<h2>Misclassified photos (${r.misclassified.length})</h2>
${source(r.sources.misclassified)}
<div class="photos">${misses}</div>
</body></html>
`;
}
