/** Runs the real `edgehead` bin in a child process, as a user's shell would. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_DIR } from './node-fixtures.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(REPO_DIR, 'bin/edgehead.mjs'), ...args],
      { cwd: REPO_DIR, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 280_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
