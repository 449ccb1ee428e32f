import { expect, it } from 'vitest';
import { runTrainCommand } from '../../trainer/train-command.ts';
import { backbonePath, datasetPath, tempDir } from '../helpers/node-fixtures.ts';

it('reaches at least 0.95 validation accuracy on hymenoptera with mobilenet_v2_1.0_224_quant', async () => {
  const lines: string[] = [];
  const result = await runTrainCommand({
    data: datasetPath('hymenoptera'),
    backbone: backbonePath('mobilenet_v2_1.0_224_quant'),
    seed: 42,
    valFraction: 0.2,
    publish: false,
    remote: false,
    quiet: true,
    cacheDir: tempDir('cache'),
    log: (line) => lines.push(line),
  });
  console.log(lines.join('\n'));
  expect(result.train).toBe(244);
  expect(result.val).toBe(153);
  expect(result.skipped).toEqual([]);
  // The PyTorch tutorial's frozen ResNet-18 reaches 0.9477 on the same split.
  expect(result.metrics!.accuracy).toBeGreaterThanOrEqual(0.95);
  // Calibrated on the val split; the ImageNet backbone transfers well here, so no warning. The majority
  // training label is ants (123 of 244), 70 of the 153 val photos.
  expect(result.calibration!.eceAfter).toBeLessThanOrEqual(0.05);
  expect(result.head.temperature).toBe(result.calibration!.temperature);
  expect(result.transfer).toMatchObject({ warning: null, majorityBaseline: 70 / 153 });
  expect(result.transfer!.colourHistogramBaseline!).toBeLessThan(result.metrics!.accuracy);
});
