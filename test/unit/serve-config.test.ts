import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors.ts';
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
