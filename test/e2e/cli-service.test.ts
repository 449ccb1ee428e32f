import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../trainer/cli.ts';
import { readDevVarsToken } from '../../trainer/serve-command.ts';
import { serviceRecordPath, type ServiceRecord } from '../../trainer/service-record.ts';
import { backbonePath, imagePath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';

describe('edgehead <command> --help and usage errors', () => {
  it('prints each command\'s usage with every option it accepts, exit 0', async () => {
    const results = await Promise.all(COMMANDS.map((c) => runCli([c.name, '--help'])));
    results.forEach((result, i) => {
      const spec = COMMANDS[i];
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: edgehead ${spec.name}`));
      for (const option of Object.keys(spec.options)) expect(result.stdout, spec.name).toContain(`--${option}`);
    });
    const [short, viaHelp] = await Promise.all([runCli(['classify', '-h']), runCli(['help', 'classify'])]);
    expect(short).toMatchObject({ code: 0, stdout: results[COMMANDS.findIndex((c) => c.name === 'classify')].stdout });
    expect(viaHelp).toMatchObject({ code: 0, stdout: short.stdout });
  });

  it('answers an unknown option with exit 2 and the command\'s usage', async () => {
    const result = await runCli(['push', '--data', 'x', '--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--bogus'");
    expect(result.stderr).toContain('Usage: edgehead push --data DIR');
  });
});

describe('commands find the service `edgehead serve` started', () => {
  it('says how to start one when none is recorded, and calls a dead one stale', async () => {
    const state = tempDir('no-service');
    const none = await runCli(['classify', imagePath('cat_720p.jpg')], { EDGEHEAD_STATE_DIR: state });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no edgehead service is running on the local state in ${state}: start it with \`npx edgehead serve\``);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(state, { recursive: true });
    const record: ServiceRecord = { url: 'http://127.0.0.1:9', port: 9, pid: dead, started: '2026-01-01T00:00:00.000Z', stateDir: state };
    writeFileSync(serviceRecordPath(state), JSON.stringify(record));
    const stale = await runCli(['push', '--data', smallImageFolder(1), '--state', state]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`(pid ${dead}, port 9, started 2026-01-01T00:00:00.000Z) is not running any more (a stale record`);
    expect(stale.stderr).not.toMatch(/\n\s+at /);
  });

  describe('against real wrangler dev on a non-default port', () => {
    const state = tempDir('found-state');
    const env = { EDGEHEAD_STATE_DIR: state, EDGEHEAD_CACHE_DIR: tempDir('found-cache') };
    let server: ServeProcess;

    beforeAll(async () => {
      server = await startServe({ ...env, EDGEHEAD_BACKBONE: backbonePath('mobilenet_v1_0.25_128_quant') });
    });
    afterAll(() => server?.stop());

    it('records its port and pid in the state folder', () => {
      const record = JSON.parse(readFileSync(serviceRecordPath(state), 'utf8')) as ServiceRecord;
      expect(record).toMatchObject({ url: server.url, pid: server.child.pid, stateDir: state });
      expect(record.port).not.toBe(8787);
    });

    it('push and classify find it without --port or --url; classify prints a table, JSON lines, and per-file errors', async () => {
      const notImage = join(tempDir('files'), 'notes.txt');
      writeFileSync(notImage, 'not a photo');
      const early = await runCli(['classify', imagePath('cat_720p.jpg'), '--json'], env);
      expect(early.code).toBe(1);
      expect(JSON.parse(early.stdout)).toMatchObject({ file: imagePath('cat_720p.jpg'), status: 503, error: { code: 'no_head' } });

      const pushed = await runCli(['push', '--data', smallImageFolder(6), '--json'], env);
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ created: 12, failed: [] });
      const listed = await fetch(`${server.url}/v1/labels`, { headers: { authorization: `Bearer ${readDevVarsToken()}` } });
      expect(await listed.json()).toMatchObject({ total: 12 });
      // train publishes into the state the service serves (EDGEHEAD_STATE_DIR), with the backbone it serves.
      const trained = await runCli(['train', '--data', smallImageFolder(6), '--json', '--quiet'], env);
      expect(trained.code, trained.stderr).toBe(0);
      const { version } = JSON.parse(trained.stdout) as { version: string };

      const ant = join(smallImageFolder(1), 'ants');
      const photo = join(ant, readdirSync(ant)[0]);
      // No --port, --url nor --state: the checkout's current service (.edgehead/serve.json) is this one.
      const table = await runCli(['classify', photo, notImage], { EDGEHEAD_STATE_DIR: '' });
      expect(table.code).toBe(1);
      const lines = table.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^FILE\s+LABEL\s+CONFIDENCE\s+UNKNOWN\s+MS$/);
      expect(lines[1]).toMatch(/^\S+\.jpg\s+(ants|bees|unknown)\s+[01]\.\d{3}\s.*\d+$/);
      expect(lines[2]).toMatch(/^notes\.txt\s+error 415 unsupported_media_type: /);

      const json = await runCli(['classify', photo, '--json', '--top-k', '2'], env);
      expect(json.code, json.stderr).toBe(0);
      const answer = JSON.parse(json.stdout) as { file: string; ms: number; predictions: unknown[]; model: { head: string } };
      expect(answer).toMatchObject({ file: photo, model: { head: version } });
      expect(answer.predictions).toHaveLength(2);
    });

    it('removes its record when it stops', async () => {
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.stop();
      await exited;
      expect(existsSync(serviceRecordPath(state))).toBe(false);
    });
  });
});
