import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../shared/hash.ts';
import { isHoldout } from '../../shared/training/holdout.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone } from './helpers.ts';
import { call, classify, ingest, json, runCron, runs, serving } from './retrain-helpers.ts';

const ants = fixtureNames('hymenoptera/train/ants/');
const bees = fixtureNames('hymenoptera/train/bees/');
const cats = fixtureNames('more/cats/');

describe('the retraining loop over HTTP: examples in, cron fine-tunes, /v1/classify serves the new head', () => {
  beforeAll(async () => {
    await importTinyBackbone();
  });

  it('ingests two labels, publishes a first head, skips a no-op run, adds a third label, rolls back', async () => {
    // Two labels, 20 photos each, through both upload forms.
    const antIds = await ingest(ants, 'ants');
    const form = new FormData();
    form.set('label', 'bees');
    form.set('image', new File([fixture(bees[0])], 'bee.jpg', { type: 'image/jpeg' }));
    const multipart = await call('POST', '/v1/examples', { body: form });
    expect(multipart.status).toBe(201);
    await ingest(bees.slice(1), 'bees');

    // The same photo again is stored once: 200 with the existing id, label unchanged.
    const again = await call('POST', '/v1/examples?label=bees', { body: fixture(ants[0]), headers: { 'content-type': 'image/jpeg' } });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ created: false, example: { id: antIds[0], label: 'ants' } });
    expect(await json(await call('GET', '/v1/labels'))).toEqual({ labels: [{ label: 'ants', count: 20 }, { label: 'bees', count: 20 }], total: 40 });
    const stored = await env.EXAMPLES.get(`examples/${antIds[0]}`);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(fixture(ants[0]));

    // First cron run: no serving head, every label has >= 10 examples: published and served.
    const first = await runCron();
    expect(first).toMatchObject({ trigger: 'cron', status: 'published', reEmbedded: 0, backboneForwards: 0 });
    expect(first.examplesTrain! + first.examplesHoldout!).toBe(40);
    const v1 = first.publishedVersion!;
    expect(await serving()).toBe(v1);
    let correct = 0;
    const val = fixtureNames('hymenoptera/val/');
    for (const name of val) {
      const { label, head } = await classify(name);
      expect(head).toBe(v1);
      if (label === name.split('/')[2]) correct++;
    }
    expect(correct / val.length).toBeGreaterThanOrEqual(0.75);
    // Calibrated on the holdout like a CLI head: a temperature and an "unknown" threshold per label, in the
    // manifest and the run record, and classify answers with that threshold.
    const firstModel = await json(await call('GET', '/v1/model', { admin: false }));
    const calibration = firstModel.head.calibration;
    expect(calibration.temperature).toBeGreaterThan(0);
    expect(Object.keys(calibration.thresholds).sort()).toEqual(['ants', 'bees']);
    expect(first.details.calibration).toMatchObject({ temperature: calibration.temperature, thresholds: calibration.thresholds });
    // The CLI's negative-transfer check, on the holdout: the head's accuracy against always answering the majority label.
    const transfer = firstModel.head.transfer;
    expect(transfer).toEqual(first.details.transfer);
    expect(transfer.accuracy).toBe((first.details.candidate as { accuracy: number }).accuracy);
    expect(transfer.majorityBaseline).toBeGreaterThan(0);
    expect(transfer.majorityBaseline).toBeLessThan(transfer.accuracy);
    expect(transfer.colourHistogramBaseline).toBeNull();
    expect(firstModel.warnings).toEqual(transfer.warning ? [transfer.warning] : []);
    const decided = await json(await call('POST', '/v1/classify', { body: fixture(val[0]), headers: { 'content-type': 'image/jpeg' }, admin: false }));
    expect(typeof decided.threshold).toBe('number');
    expect(decided.threshold).toBe(calibration.thresholds[decided.label ?? decided.candidate]);

    // Nothing new: the run does no backbone forward and publishes nothing.
    const noop = await runCron();
    expect(noop).toMatchObject({ status: 'skipped', backboneForwards: 0, reEmbedded: 0, publishedVersion: null });
    expect(noop.reason).toContain('no new');
    expect(await serving()).toBe(v1);

    // A third label whose photos all fall outside the holdout (default 20%): the new head must still get its
    // thresholds and OOD check. 13 of the 16 cat fixtures do.
    const trainCats: string[] = [];
    for (const name of cats) if (!isHoldout(await sha256Hex(fixture(name)), 20)) trainCats.push(name);
    expect(trainCats.length).toBeGreaterThanOrEqual(12);
    // A third label with too few examples is refused by the minimum, and the reason says so.
    await ingest(trainCats.slice(0, 5), 'cats');
    const tooFew = await runCron();
    expect(tooFew).toMatchObject({ status: 'kept', publishedVersion: null });
    expect(tooFew.reason).toContain('"cats" has 5');
    expect(await serving()).toBe(v1);

    // Enough cats: the next run warm-starts from v1, adds the class and is published.
    await ingest(trainCats.slice(5, 12), 'cats');
    const third = await runCron();
    expect(third.status, third.reason ?? '').toBe('published');
    expect((third.details.training as { warmStart: string }).warmStart).toBe(v1);
    const v2 = third.publishedVersion!;
    const model = await json(await call('GET', '/v1/model', { admin: false }));
    expect(model.head).toMatchObject({ version: v2, labels: ['ants', 'bees', 'cats'] });
    // Every cron head gets per-label thresholds and an OOD check, also when the holdout has no example of the
    // new label: the OOD threshold is then cross-fitted on the training rows and the run names the label.
    const thirdCalibration = third.details.calibration as { ood: { threshold: number; crossFitted?: boolean } | null; noHoldoutExamples?: string[] };
    expect(Object.keys(model.head.calibration.thresholds).sort()).toEqual(['ants', 'bees', 'cats']);
    expect(thirdCalibration.ood!.threshold).toBeGreaterThan(0);
    expect(model.head.calibration.ood).toEqual(thirdCalibration.ood);
    expect(thirdCalibration.ood!.crossFitted).toBe(true);
    expect(thirdCalibration.noHoldoutExamples).toEqual(['cats']);
    expect(model.head.calibration.thresholds.cats).toBe(0);
    // Classify answers carry that check (the head stores the threshold as float32).
    const checked = await json(await call('POST', '/v1/classify', { body: fixture(fixtureNames('hymenoptera/val/')[0]), headers: { 'content-type': 'image/jpeg' }, admin: false }));
    expect(checked.ood.threshold).toBeCloseTo(thirdCalibration.ood!.threshold, 4);
    expect(checked.ood.score).toBeGreaterThan(0);
    const unseenCats = cats.filter((name) => !trainCats.slice(0, 12).includes(name));
    const catHits = (await Promise.all(unseenCats.map(classify))).filter((r) => r.label === 'cats' && r.head === v2).length;
    expect(catHits).toBeGreaterThanOrEqual(unseenCats.length - 1);

    // Rollback to v1, then forward again; the listing shows both with their metrics and which one serves.
    const back = await call('POST', `/v1/heads/${v1}/promote`);
    expect(back.status).toBe(200);
    expect((await classify(val[0])).head).toBe(v1);
    const heads = await json(await call('GET', '/v1/heads'));
    expect(heads.serving).toBe(v1);
    expect(heads.heads.map((h: { version: string; serving: boolean }) => [h.version, h.serving])).toEqual([
      [v2, false],
      [v1, true],
    ]);
    expect(heads.heads[0].metrics.n).toBe(third.examplesHoldout);
    // With the data unchanged, the cron keeps the rolled-back head.
    expect(await runCron()).toMatchObject({ status: 'skipped', backboneForwards: 0 });
    expect(await serving()).toBe(v1);

    // Pruning never removes the serving head; another version goes.
    const refuse = await call('DELETE', `/v1/heads/${v1}`);
    expect(refuse.status).toBe(409);
    expect(await json(refuse)).toMatchObject({ error: { code: 'head_is_serving' } });
    expect((await call('DELETE', `/v1/heads/${v2}`)).status).toBe(200);
    expect((await call('POST', `/v1/heads/${v2}/promote`)).status).toBe(404);
    expect((await classify(val[0])).head).toBe(v1);

    // The run log lists everything newest first.
    expect((await runs()).map((r) => r.status)).toEqual(['skipped', 'published', 'kept', 'skipped', 'published']);
  });
});
