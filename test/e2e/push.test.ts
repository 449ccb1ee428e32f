import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDevVarsToken } from '../../trainer/serve-command.ts';
import { backbonePath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';

describe('edgehead push against edgehead serve (real wrangler dev with local D1 and R2)', () => {
  const env = { EDGEHEAD_STATE_DIR: tempDir('push-state'), EDGEHEAD_CACHE_DIR: tempDir('push-cache') };
  let server: ServeProcess;

  beforeAll(async () => {
    server = await startServe({ ...env, EDGEHEAD_BACKBONE: backbonePath('mobilenet_v1_0.25_128_quant') });
  });

  afterAll(() => server?.stop());

  it('applies the D1 migrations and has an admin token in .dev.vars, without printing it', () => {
    const token = readDevVarsToken();
    expect(token).toMatch(/^\S{16,}$/);
    expect(server.output()).toContain('D1 migrations applied');
    expect(server.output()).toMatch(/ADMIN_TOKEN in .*\.dev\.vars/);
    expect(server.output()).not.toContain(token!);
  });

  it('uploads an ImageFolder, resumes by hash, and the examples train a head', async () => {
    const before = server.output().length;
    const first = await runCli(['push', '--data', smallImageFolder(6), '--url', server.url, '--json'], env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ files: 12, created: 12, existing: 0, skipped: 0, failed: [] });

    // A larger folder holding the same 12 photos: only the new ones are sent.
    const second = await runCli(['push', '--data', smallImageFolder(12), '--url', server.url, '--concurrency', '3', '--json'], env);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ files: 24, created: 12, skipped: 12, failed: [] });
    // Every upload succeeded, so the service printed no connection errors (push used to cancel response bodies,
    // which reset connections workerd was still writing: red "Broken pipe"/"Connection reset" ERROR lines).
    expect(server.output().slice(before)).not.toMatch(/ERROR|disconnected/);

    const token = readDevVarsToken()!;
    const labels = await (await fetch(`${server.url}/v1/labels`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(labels).toEqual({ labels: [{ label: 'ants', count: 12 }, { label: 'bees', count: 12 }], total: 24 });

    const train = await fetch(`${server.url}/v1/train`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const { run } = (await train.json()) as { run: { status: string; publishedVersion: string; reason: string } };
    expect(run.status, run.reason).toBe('published');
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { head: string };
    expect(health.head).toBe(run.publishedVersion);
  });

  it('--model: push creates and fills a named model, train publishes its head, evaluate scores it; default is untouched', async () => {
    const token = readDevVarsToken()!;
    const admin = { authorization: `Bearer ${token}` };
    const data = smallImageFolder(8);
    const pushed = await runCli(['push', '--model', 'hymenoptera', '--data', data, '--url', server.url, '--json'], env);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(JSON.parse(pushed.stdout)).toMatchObject({ files: 16, created: 16, failed: [] });
    expect(await (await fetch(`${server.url}/v1/models/hymenoptera/labels`, { headers: admin })).json()).toEqual({ labels: [{ label: 'ants', count: 8 }, { label: 'bees', count: 8 }], total: 16 });
    expect(((await (await fetch(`${server.url}/v1/labels`, { headers: admin })).json()) as { total: number }).total).toBe(24);

    const trained = await runCli(['train', '--model', 'hymenoptera', '--data', data, '--json'], env);
    expect(trained.code, trained.stderr).toBe(0);
    const { version } = JSON.parse(trained.stdout) as { version: string };
    const heads = (await (await fetch(`${server.url}/v1/models/hymenoptera/heads`, { headers: admin })).json()) as { serving: string };
    expect(heads.serving).toBe(version);
    const health = (await (await fetch(`${server.url}/healthz`)).json()) as { head: string };
    expect(health.head).not.toBe(version);

    const evaluated = await runCli(['evaluate', '--model', 'hymenoptera', '--data', data, '--out', tempDir('push-report'), '--json'], env);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect((JSON.parse(evaluated.stdout) as { head: { version: string } }).head.version).toBe(version);
    // export --model takes the model's serving head, not default's.
    const exported = await runCli(['export', '--model', 'hymenoptera', '--out', tempDir('push-export'), '--url', server.url, '--json'], env);
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ version, labels: ['ants', 'bees'] });
    const bad = await runCli(['train', '--model', 'Not_OK', '--data', data], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--model must be 1 to 32 characters');
  });

  it('refuses a wrong token with one clear line and exit code 1', async () => {
    const result = await runCli(['push', '--data', smallImageFolder(2), '--url', server.url, '--token', 'not-the-token'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('edgehead: listing stored examples failed (401)');
    expect(result.stderr).not.toContain('at ');
  });
});
