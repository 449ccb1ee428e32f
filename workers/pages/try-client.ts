/** The `/` page's browser script (served at /assets/try.js): sends the photo to /v1/classify?model=<picked>, draws the answer. */
export const TRY_JS = String.raw`
const MESSAGES = {
  too_large: 'This photo is too large to send. Try a smaller one.',
  too_many_pixels: 'This photo has too many pixels. Try a smaller one.',
  unsupported_media_type: 'This file is not a JPEG, PNG or WebP image.',
  undecodable_image: 'This image is damaged or cut short and could not be read.',
  no_head: 'No model has been trained yet: add photos and press Train on the admin page.',
  empty_body: 'The file is empty.',
};
const REASONS = { below_threshold: 'not sure enough', background: 'none of the known labels', out_of_distribution: 'unlike anything it was taught' };
const $ = (id) => document.getElementById(id);
const pct = (x) => (x * 100).toFixed(1) + '%';

function el(tag, text, cls) { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }

function show(answer, name) {
  const bars = $('bars'); bars.replaceChildren();
  for (const p of answer.predictions) {
    const li = el('li'); li.append(el('div', p.label + ': ' + pct(p.score)));
    const bar = el('div', null, 'bar'); bar.setAttribute('role', 'img'); bar.setAttribute('aria-label', p.label + ' ' + pct(p.score));
    const fill = el('span'); fill.style.width = pct(p.score); bar.append(fill); li.append(bar); bars.append(li);
  }
  const status = $('status'); status.className = '';
  if (answer.label === null) {
    const why = REASONS[answer.reason] || answer.reason;
    status.textContent = 'Unknown (' + why + ')' + (answer.candidate ? ': closest is ' + answer.candidate + ' at ' + pct(answer.score) : '');
  } else status.textContent = answer.label + ' (' + pct(answer.score) + ')';
  $('meta').textContent = 'Answered in ' + answer.timing_ms.total + ' ms by model ' + (answer.model.name || name) + ', head ' + answer.model.head + ' on backbone ' + answer.model.backbone + '.';
}

async function classify(file) {
  const result = $('result'); result.setAttribute('aria-busy', 'true');
  $('status').className = 'muted'; $('status').textContent = 'Looking at ' + (file.name || 'the photo') + '...';
  $('bars').replaceChildren(); $('meta').textContent = '';
  const preview = $('preview'); if (preview.src) URL.revokeObjectURL(preview.src); preview.src = URL.createObjectURL(file); preview.hidden = false;
  try {
    const name = $('model').value;
    const response = await fetch('/v1/classify?model=' + encodeURIComponent(name), { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file });
    const body = await response.json().catch(() => null);
    if (response.ok && body) show(body, name);
    else {
      const code = body && body.error ? body.error.code : 'http_' + response.status;
      $('status').className = 'error'; $('status').textContent = MESSAGES[code] || (body && body.error ? body.error.message : 'The service answered ' + response.status + '.');
    }
  } catch (e) { $('status').className = 'error'; $('status').textContent = 'Could not reach the service.'; }
  result.setAttribute('aria-busy', 'false');
}

$('file').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) classify(f); });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); const f = e.dataTransfer.files[0]; if (f) classify(f); });
document.addEventListener('paste', (e) => { const item = [...e.clipboardData.items].find((i) => i.kind === 'file'); if (item) classify(item.getAsFile()); });
`;
