import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.ts';
import { main } from '../../trainer/cli.ts';
import { readServiceConfig } from '../../trainer/serve-command.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A wrangler config with these [vars] lines (and a .dev.vars beside it when given), in a fresh folder. */
function project(vars: string, devVars?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgehead-serve-config-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'wrangler.toml'), `name = "t"\nmain = "index.ts"\ncompatibility_date = "2025-01-01"\n\n[vars]\n${vars}\n`);
  if (devVars !== undefined) writeFileSync(join(dir, '.dev.vars'), devVars);
  return join(dir, 'wrangler.toml');
}

describe('edgehead serve reads the service config before starting wrangler', () => {
  it('parses the project\'s own wrangler.toml [vars]', async () => {
    const config = await readServiceConfig();
    expect(config.maxImagePixels).toBe(50_000_000);
    expect(config.defaultTopK).toBe(5);
  });

  it('fails with the var and its value when wrangler.toml holds a bad one', async () => {
    const error = await readServiceConfig(project('MAX_IMAGE_PIXELS = "abc"')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe('config MAX_IMAGE_PIXELS="abc" is not a positive integer');
  });

  it('reads .dev.vars over wrangler.toml, as wrangler dev does', async () => {
    expect((await readServiceConfig(project('DEFAULT_TOP_K = "3"', 'DEFAULT_TOP_K=7\n'))).defaultTopK).toBe(7);
    const error = await readServiceConfig(project('DEFAULT_TOP_K = "3"', 'DEFAULT_TOP_K=-2\n')).catch((e: unknown) => e);
    expect((error as ConfigError).message).toBe('config DEFAULT_TOP_K="-2" is not a positive integer');
  });
});

describe('edgehead serve with a bad var', () => {
  it('exits 1 with the message before importing, migrating or starting anything', async () => {
    const config = project('MAX_IMAGE_PIXELS = "abc"');
    const state = join(dirs[0], 'state');
    const stateBefore = process.env.EDGEHEAD_STATE_DIR;
    const lines: string[] = [];
    try {
      const code = await main(['serve', '--config', config, '--state', state, '--backbone', join(dirs[0], 'absent.tflite')], (l) => lines.push(l), (l) => lines.push(l));
      expect(code).toBe(1);
    } finally {
      if (stateBefore === undefined) delete process.env.EDGEHEAD_STATE_DIR;
      else process.env.EDGEHEAD_STATE_DIR = stateBefore;
    }
    expect(lines).toEqual(['edgehead: config MAX_IMAGE_PIXELS="abc" is not a positive integer']);
    // Nothing was imported into the state folder and no wrangler ran on it. (Were the check gone, the absent
    // --backbone would fail the import instead, with another message: nothing is downloaded either way.)
    expect(existsSync(state)).toBe(false);
  });
});
