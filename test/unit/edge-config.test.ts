import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServiceConfig } from '../../shared/config.ts';
import { readImageFolder } from '../../trainer/image-folder.ts';

describe('CORS_ORIGINS, RATE_LIMIT and RATE_LIMIT_PERIOD', () => {
  it('defaults to same origin, rate limit on, 60 s', () => {
    expect(parseServiceConfig({})).toMatchObject({ corsOrigins: [], rateLimitEnabled: true, rateLimitPeriodSeconds: 60 });
  });

  it('parses an origin list and *', () => {
    expect(parseServiceConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(parseServiceConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
  });

  it.each([
    ['CORS_ORIGINS', 'https://a.example/'],
    ['CORS_ORIGINS', 'a.example'],
    ['RATE_LIMIT', 'yes'],
    ['RATE_LIMIT_PERIOD', '30'],
  ])('refuses %s=%j with invalid_config naming it', (name, value) => {
    expect(() => parseServiceConfig({ [name]: value })).toThrow(expect.objectContaining({ code: 'invalid_config', message: expect.stringContaining(name) }));
  });
});

describe('readImageFolder label folders', () => {
  it('lists every folder whose name is not a valid label, naming the code point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-labels-'));
    for (const label of ['ants', 'be\u200bes', 'wasps\u202e']) {
      mkdirSync(join(dir, label));
      writeFileSync(join(dir, label, 'a.jpg'), 'x');
    }
    await expect(readImageFolder(dir)).rejects.toThrow(/2 label folder name\(s\)[\s\S]*U\+200B[\s\S]*U\+202E/);
  });

  it('gives NFC labels for decomposed folder names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgehead-labels-'));
    for (const label of ['e\u0301te\u0301', 'ants']) {
      mkdirSync(join(dir, label));
      writeFileSync(join(dir, label, 'a.jpg'), 'x');
    }
    expect(new Set((await readImageFolder(dir)).map((f) => f.label))).toEqual(new Set(['ants', 'été']));
  });
});
