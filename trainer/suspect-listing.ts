/** The CLI's list of suspect labels in a photo folder (`edgehead train` prints it after training). */
import { searchSuspects } from '../shared/head/suspects.ts';
import type { Example } from './embed-folder.ts';
import { toTrainingSet } from './embed-folder.ts';

/** One photo whose folder label the model confidently contradicts. */
export interface FolderSuspect {
  /** path relative to the data folder */
  name: string;
  label: string;
  suspect: { label: string; score: number };
}

/** Lines printed at most; the result keeps them all. */
const PRINTED = 20;

/**
 * Suspect labels among every photo of the folder (train and val), from out-of-fold predictions.
 * @param labels the head's labels, sorted
 */
export function listFolderSuspects(examples: Example[], labels: string[], seed: number): FolderSuspect[] {
  if (labels.length < 2 || examples.length < 2 * labels.length) return [];
  const set = toTrainingSet(examples, labels);
  const { suspects } = searchSuspects(set, examples.map((e) => e.sha256), { seed });
  return suspects.map((s) => ({ name: examples[s.index].file.name, label: examples[s.index].file.label, suspect: { label: labels[s.label], score: s.score } }));
}

/** The lines `train` prints: a count, then the most suspect photos first. */
export function formatSuspects(suspects: FolderSuspect[]): string {
  if (suspects.length === 0) return 'suspect labels: none (no photo whose label the model confidently contradicts)';
  const lines = suspects.slice(0, PRINTED).map((s) => `  ${s.name}: labelled ${s.label}, looks like ${s.suspect.label} (${s.suspect.score.toFixed(2)})`);
  const more = suspects.length > PRINTED ? [`  ... and ${suspects.length - PRINTED} more`] : [];
  return [`suspect labels: ${suspects.length} photos whose label the model confidently contradicts (out-of-fold), most suspect first:`, ...lines, ...more].join('\n');
}
