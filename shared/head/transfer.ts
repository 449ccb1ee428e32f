/** Negative-transfer check: is the backbone's head clearly better than the trivial baselines? */

/**
 * The head must close at least this fraction of the gap between the majority-class baseline and perfect
 * accuracy; below it the features barely help. With two balanced labels: at least 0.625.
 */
export const MIN_GAIN_OVER_MAJORITY = 0.25;

/** Accuracy of always answering the label most frequent in `trainLabels`, measured on `evalLabels`. */
export function majorityBaseline(trainLabels: ArrayLike<number>, evalLabels: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < trainLabels.length; i++) counts.set(trainLabels[i], (counts.get(trainLabels[i]) ?? 0) + 1);
  let majority = -1;
  let best = -1;
  for (const [label, count] of counts) if (count > best || (count === best && label < majority)) [majority, best] = [label, count];
  let hits = 0;
  for (let i = 0; i < evalLabels.length; i++) if (evalLabels[i] === majority) hits++;
  return evalLabels.length > 0 ? hits / evalLabels.length : 0;
}

/**
 * A plain-language warning when transfer looks negative, else null.
 * @param accuracy the head's held-out accuracy
 * @param majority {@link majorityBaseline}
 * @param histogram held-out accuracy of a head trained on colour histograms (null when not measured)
 */
export function transferWarning(accuracy: number, majority: number, histogram: number | null, backbone: string): string | null {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (histogram !== null && accuracy < histogram) {
    return (
      `negative transfer: the head on ${backbone} features (${pct(accuracy)}) does worse than one on plain colour ` +
      `histograms (${pct(histogram)}); this backbone's source domain does not suit these photos: try \`edgehead rank\` with other backbones`
    );
  }
  if (accuracy < majority + MIN_GAIN_OVER_MAJORITY * (1 - majority)) {
    return (
      `weak transfer: the head on ${backbone} features (${pct(accuracy)}) is barely above always answering the most ` +
      `common label (${pct(majority)}); try \`edgehead rank\` with other backbones, or more and cleaner photos`
    );
  }
  return null;
}
