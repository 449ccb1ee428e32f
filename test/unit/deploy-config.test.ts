import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configuredId, createdId, needsId, withId } from '../../trainer/deploy-config.ts';
import { REPO_DIR } from '../helpers/node-fixtures.ts';

const TOML = readFileSync(join(REPO_DIR, 'wrangler.toml'), 'utf8');
const KV_ID = '0f2ac74b498b48028cb68387c421e279';
const D1_ID = 'c3f5e1a2-7b9d-4e6f-8a1b-2c3d4e5f6a7b';

describe('deploy:setup edits of wrangler.toml', () => {
  it('sees the shipped placeholders as needing ids', () => {
    expect(needsId(TOML, 'kv_namespaces', 'MODELS')).toBe(true);
    expect(needsId(TOML, 'd1_databases', 'DB')).toBe(true);
  });

  it('writes each id into its own binding, leaving every other line as it was', () => {
    const edited = withId(withId(TOML, 'kv_namespaces', 'MODELS', KV_ID), 'd1_databases', 'DB', D1_ID);
    expect(configuredId(edited, 'kv_namespaces', 'MODELS')).toBe(KV_ID);
    expect(configuredId(edited, 'd1_databases', 'DB')).toBe(D1_ID);
    expect(needsId(edited, 'kv_namespaces', 'MODELS')).toBe(false);
    expect(needsId(edited, 'd1_databases', 'DB')).toBe(false);
    const changed = edited.split('\n').filter((line, i) => line !== TOML.split('\n')[i]);
    expect(changed).toEqual([`id = "${KV_ID}"   # written by npm run deploy:setup`, `database_id = "${D1_ID}"   # written by npm run deploy:setup`]);
  });

  it('refuses a binding wrangler.toml does not have', () => {
    expect(() => withId(TOML, 'kv_namespaces', 'OTHER', KV_ID)).toThrow('no [[kv_namespaces]] with binding = "OTHER"');
  });

  it("reads the new ids from wrangler's TOML or JSON snippets", () => {
    const kvToml = `Creating namespace with title "MODELS"\n✨ Success!\nTo access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n[[kv_namespaces]]\nbinding = "MODELS"\nid = "${KV_ID}"\n`;
    const d1Json = `✅ Successfully created DB 'edgehead'\n{\n  "d1_databases": [\n    {\n      "binding": "edgehead",\n      "database_name": "edgehead",\n      "database_id": "${D1_ID}"\n    }\n  ]\n}`;
    expect(createdId(kvToml, 'kv_namespaces')).toBe(KV_ID);
    expect(createdId(d1Json, 'd1_databases')).toBe(D1_ID);
    expect(() => createdId('✘ [ERROR] A request to the Cloudflare API failed.', 'd1_databases')).toThrow('could not find the new database_id');
  });
});
