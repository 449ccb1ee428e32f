import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { fixture, fixtureNames } from './fixtures.ts';
import { post, publishCalibratedHead } from './helpers.ts';

interface ClassifyBody {
  label: string | null;
  score: number;
  threshold: number;
  reason?: string;
  candidate?: string;
  predictions: { label: string; score: number }[];
}

const fetchWorker = (request: Request) => exports.default.fetch(request);
const classify = async (path: string, name: string) => {
  const response = await fetchWorker(post(path, fixture(name), 'image/jpeg'));
  return { status: response.status, body: (await response.json()) as ClassifyBody };
};

describe('calibrated scores and "unknown" in POST /v1/classify', () => {
  it('answers the top label when it clears its validation threshold, and null with the candidates below ?min_score=', async () => {
    const { head, calibration } = await publishCalibratedHead();
    // Calibration fitted a temperature on the val split, and stored the same thresholds in the weights and the manifest.
    expect(head.temperature).not.toBe(1);
    expect(calibration.temperature).toBe(head.temperature);
    expect(calibration.reliability.reduce((sum, bin) => sum + bin.count, 0)).toBe(fixtureNames('hymenoptera/val/').length);
    expect(Object.values(calibration.thresholds)).toEqual([...head.thresholds!]);

    const name = fixtureNames('hymenoptera/val/bees/')[0];
    const accepted = await classify('/v1/classify?min_score=0', name);
    expect(accepted.status).toBe(200);
    expect(accepted.body.label).toBe(accepted.body.predictions[0].label);
    expect(accepted.body.score).toBe(accepted.body.predictions[0].score);
    expect(accepted.body.threshold).toBe(0);
    expect(accepted.body.reason).toBeUndefined();

    const rejected = await classify('/v1/classify?min_score=1', name);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ label: null, reason: 'below_threshold', threshold: 1, candidate: accepted.body.label });
    expect(rejected.body.predictions).toEqual(accepted.body.predictions);
    expect(rejected.body.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 5);

    // Without min_score the head's own threshold for the winning label applies.
    const byDefault = await classify('/v1/classify', name);
    const top = byDefault.body.predictions[0];
    expect(byDefault.body.threshold).toBeCloseTo(head.thresholds![head.labels.indexOf(top.label)], 6);
    expect(byDefault.body.label).toBe(top.score >= byDefault.body.threshold ? top.label : null);
  });

  it('uses per-label thresholds stored in the head', async () => {
    // ants must be certain, bees never: every ant-looking photo becomes unknown, every bee-looking one is accepted.
    await publishCalibratedHead({ thresholds: [1, 0], now: new Date('2026-11-28T12:00:00Z') });
    const seen = new Set<string>();
    for (const name of fixtureNames('hymenoptera/val/').slice(0, 12)) {
      const { body } = await classify('/v1/classify', name);
      const top = body.predictions[0];
      seen.add(top.label);
      if (top.label === 'ants') expect(body).toMatchObject({ label: null, reason: 'below_threshold', candidate: 'ants', threshold: 1 });
      else expect(body).toMatchObject({ label: 'bees', threshold: 0 });
    }
    expect(seen).toEqual(new Set(['ants', 'bees']));
    const overridden = await classify('/v1/classify?min_score=0.0', fixtureNames('hymenoptera/val/ants/')[0]);
    expect(overridden.body.label).toBe(overridden.body.predictions[0].label);
  });

  it('answers null with reason background when the background label wins', async () => {
    await publishCalibratedHead({ thresholds: [0, 0], backgroundLabel: 'ants', now: new Date('2026-11-28T13:00:00Z') });
    let backgrounds = 0;
    for (const name of fixtureNames('hymenoptera/val/ants/').slice(0, 6)) {
      const { body } = await classify('/v1/classify', name);
      if (body.predictions[0].label === 'ants') {
        expect(body).toMatchObject({ label: null, reason: 'background', candidate: 'ants' });
        backgrounds++;
      } else expect(body.label).toBe('bees');
    }
    expect(backgrounds).toBeGreaterThan(0);
  });

  it.each(['-0.1', '1.5', 'abc', '', 'NaN', 'Infinity'])('refuses ?min_score=%s with 400 invalid_min_score', async (raw) => {
    const response = await fetchWorker(post(`/v1/classify?min_score=${encodeURIComponent(raw)}`, fixture('images/cat_720p.jpg'), 'image/jpeg'));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_min_score');
    expect(body.error.message).toContain('[0, 1]');
  });

  it('shows the negative-transfer warning in GET /v1/model', async () => {
    const warning = 'weak transfer: the head on test features (55.0%) is barely above always answering the most common label (54.0%)';
    const { manifest } = await publishCalibratedHead({
      transfer: { accuracy: 0.55, majorityBaseline: 0.54, colourHistogramBaseline: 0.5, warning },
      now: new Date('2026-11-28T14:00:00Z'),
    });
    const body = (await (await fetchWorker(new Request('http://edgehead.test/v1/model'))).json()) as {
      warnings: string[];
      head: { version: string; transfer: { warning: string }; calibration: { temperature: number } };
    };
    expect(body.warnings).toEqual([warning]);
    expect(body.head.version).toBe(manifest.version);
    expect(body.head.transfer.warning).toBe(warning);
    expect(body.head.calibration.temperature).toBeGreaterThan(0);
  });
});
