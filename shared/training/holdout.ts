import { splitDraw } from '../head/split.ts';

/** Fixed, so an example's side of the split never changes between runs or deployments. */
const HOLDOUT_SEED = 0x5eed;

/**
 * Whether an example belongs to the holdout: a hash of its id (the sha256 of its photo), so the choice is
 * stable across runs (an example never moves from holdout into training), independent of arrival order, and
 * the same in every runtime.
 * @param percent holdout share in percent, 1..90
 */
export function isHoldout(exampleId: string, percent: number): boolean {
  return splitDraw(HOLDOUT_SEED, exampleId) < percent / 100;
}
