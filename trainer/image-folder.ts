/** Reading a labelled photo set laid out as an ImageFolder. */
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { BadRequestError } from '../shared/errors.ts';
import { validateLabelFolders } from '../shared/examples/label.ts';

export interface LabelledFile {
  path: string;
  /** path relative to the data folder, for reports */
  name: string;
  label: string;
  /** 'train' | 'val' when the folder says so, else undefined (the caller splits) */
  split?: 'train' | 'val';
}

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp)$/i;

/** Entries of `dir` of one kind, following symbolic links (data sets are often links into a photo library). */
async function listEntries(dir: string, kind: 'dir' | 'file'): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const target = entry.isSymbolicLink() ? await stat(join(dir, entry.name)).catch(() => null) : entry;
    if (kind === 'dir' ? target?.isDirectory() : target?.isFile() && IMAGE_EXTENSIONS.test(entry.name)) names.push(entry.name);
  }
  return names.sort();
}

const listDirs = (dir: string) => listEntries(dir, 'dir');
const listImages = (dir: string) => listEntries(dir, 'file');

async function readLabelDirs(root: string, dataDir: string, split?: 'train' | 'val'): Promise<LabelledFile[]> {
  const files: LabelledFile[] = [];
  for (const label of await listDirs(root)) {
    for (const file of await listImages(join(root, label))) {
      const path = join(root, label, file);
      files.push({ path, name: relative(dataDir, path), label, split });
    }
  }
  return files;
}

/**
 * Lists the labelled images of `dir`: either `dir/{train,val}/<label>/*` or `dir/<label>/*`
 * (JPEG, PNG or WebP files; other files and hidden folders are ignored), sorted for determinism.
 * @param options.minLabels labels needed (default 2: a head needs two; pushing examples of one label is fine)
 * Labels are the folder names in NFC, checked by the service's label rule (`validateLabel`).
 * @throws BadRequestError when the folder is missing or holds fewer than `minLabels` labels; invalid_label
 *   listing every label folder whose name the service would refuse
 */
export async function readImageFolder(dir: string, options: { minLabels?: number } = {}): Promise<LabelledFile[]> {
  const minLabels = options.minLabels ?? 2;
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new BadRequestError(`--data ${dir} is not a folder`, 'bad_data_dir');
  const top = await listDirs(dir);
  const files =
    top.includes('train') && top.includes('val')
      ? [...(await readLabelDirs(join(dir, 'train'), dir, 'train')), ...(await readLabelDirs(join(dir, 'val'), dir, 'val'))]
      : await readLabelDirs(dir, dir);
  const names = [...new Set(files.map((f) => f.label))];
  const nfc = new Map(validateLabelFolders(names).map((label, i) => [names[i]!, label]));
  for (const file of files) file.label = nfc.get(file.label)!;
  const labels = new Set(files.map((f) => f.label));
  if (labels.size < minLabels) {
    throw new BadRequestError(
      `${dir} holds ${labels.size} label folder(s) with images; ${minLabels === 2 ? 'a head needs at least two' : `at least ${minLabels} are needed`}: DIR/<label>/*.jpg or DIR/{train,val}/<label>/*.jpg`,
      'bad_data_dir',
    );
  }
  return files;
}
