/** Paths into ../shared and small generated data sets for the Node-side tests. */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO_DIR = resolve(import.meta.dirname, '../..');
export const SHARED_DIR = resolve(REPO_DIR, '../shared');
export const backbonePath = (name: string) => join(SHARED_DIR, 'backbones', `${name}.tflite`);
export const imagePath = (name: string) => join(SHARED_DIR, 'images', name);
export const datasetPath = (name: string) => join(SHARED_DIR, 'datasets', name);

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `edgehead-${prefix}-`));
}

/**
 * A small ImageFolder without a train/val split (`DIR/<label>/*.jpg`), made of links to the first
 * `perLabel` hymenoptera training photos of each label.
 */
export function smallImageFolder(perLabel: number, labels = ['ants', 'bees']): string {
  const dir = tempDir('data');
  for (const label of labels) {
    mkdirSync(join(dir, label));
    const source = join(datasetPath('hymenoptera'), 'train', label);
    for (const file of readdirSync(source).sort().slice(0, perLabel)) symlinkSync(join(source, file), join(dir, label, file));
  }
  return dir;
}
