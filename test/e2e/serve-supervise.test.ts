/** `edgehead serve` stops wrangler and workerd when told to stop, and stops (non-zero) when workerd dies. */
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { processGroup } from '../../trainer/dev-supervisor.ts';
import { backbonePath, tempDir } from '../helpers/node-fixtures.ts';
import { descendants } from '../helpers/process-tree.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';

const env = {
  EDGEHEAD_STATE_DIR: tempDir('supervise-state'),
  EDGEHEAD_CACHE_DIR: tempDir('supervise-cache'),
  EDGEHEAD_BACKBONE: backbonePath('mobilenet_v1_0.25_128_quant'),
};

/** serve's wrangler (its only node child, leading its own group) and one of that group's workerd processes. */
function wranglerAndWorkerd(serve: ServeProcess): { wranglerGroup: number; workerd: number } {
  const children = descendants(serve.child.pid!).filter((p) => p.ppid === serve.child.pid).map((p) => p.pid);
  const wranglerGroup = children.find((pid) => processGroup(pid).some((p) => p.pid === pid));
  expect(wranglerGroup, 'wrangler leads its own process group').toBeDefined();
  const workerd = processGroup(wranglerGroup!).filter((p) => p.comm === 'workerd');
  // wrangler dev runs two: its proxy and the worker; losing either breaks the service.
  expect(workerd.length).toBeGreaterThanOrEqual(1);
  return { wranglerGroup: wranglerGroup!, workerd: workerd[workerd.length - 1].pid };
}

/** The exit code once the process exited and its output is read to the end (or null after 60 s, with the output). */
const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null && child.stdout!.closed) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve(null), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });

describe('edgehead serve supervises wrangler and workerd', () => {
  let server: ServeProcess | undefined;
  afterEach(() => server?.stop());

  it('SIGTERM to serve alone leaves no wrangler or workerd behind', async () => {
    server = await startServe(env);
    const { wranglerGroup, workerd } = wranglerAndWorkerd(server);
    process.kill(server.child.pid!, 'SIGTERM');
    expect(await exited(server.child), server.output()).toBe(0);
    // serve's own handler ran (wrangler's in-process listeners used to process.exit() first).
    expect(server.output()).toContain('SIGTERM: stopping wrangler and workerd');
    expect(processGroup(wranglerGroup)).toEqual([]);
    expect(processGroup(server.child.pid!)).toEqual([]);
    expect(processGroup(wranglerGroup).some((p) => p.pid === workerd)).toBe(false);
  });

  // The tether of the killed workerd reports its death (pid, and 137 = killed by SIGKILL) at once: even a kill
  // right after start-up, before any poll of the group could have counted that workerd, is noticed.
  it('SIGKILL of workerd makes serve stop everything and exit non-zero', async () => {
    server = await startServe(env);
    const { wranglerGroup, workerd } = wranglerAndWorkerd(server);
    process.kill(workerd, 'SIGKILL');
    const code = await exited(server.child);
    expect(code, `killed ${workerd}; group now ${JSON.stringify(processGroup(wranglerGroup))}`).toBe(1);
    expect(server.output()).toContain(`workerd exited (pid and status: ${workerd} 137); stopping`);
    expect(processGroup(wranglerGroup)).toEqual([]);
    expect(processGroup(server.child.pid!)).toEqual([]);
  });
});
