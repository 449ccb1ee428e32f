/** Starting `edgehead serve` (real wrangler dev) on a free port for e2e tests, and stopping its process group. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_DIR } from './node-fixtures.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`edgehead serve exited with ${child.exitCode}:\n${log()}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`edgehead serve did not answer /healthz within 120 s:\n${log()}`);
}

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): void;
}

/** Runs `edgehead serve --port <free>` with `env` and waits until /healthz answers. */
export async function startServe(env: Record<string, string>): Promise<ServeProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(REPO_DIR, 'bin/edgehead.mjs'), 'serve', '--port', String(port)], {
    cwd: REPO_DIR,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await waitForHealth(url, child, () => output);
  return {
    url,
    child,
    output: () => output,
    // wrangler dev runs workerd as a child: stop the whole process group.
    stop: () => {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    },
  };
}
