/** `edgehead serve` (what `npm start` runs): make sure a backbone is imported, then run `wrangler dev`. */
import { spawn } from 'node:child_process';
import { getCurrentBackboneId } from '../shared/store/backbone-store.ts';
import { getCurrentHeadPointer } from '../shared/store/head-store.ts';
import { importBackbone } from '../shared/store/import-backbone.ts';
import { resolveBackboneSource } from './backbone-source.ts';
import { LOCAL_STATE_DIR, openModelStore, PROJECT_ROOT, wranglerBin } from './model-store.ts';

export interface ServeOptions {
  port: number;
  /** path or URL; default EDGEHEAD_BACKBONE, else what the local state already serves, else the public default */
  backbone?: string;
  sha256?: string;
  log: (line: string) => void;
}

/** Imports the backbone into the local state when needed; returns what the service will serve. */
export async function prepareLocalState(options: ServeOptions): Promise<{ backboneId: string; headVersion: string | null }> {
  const { kv, close } = await openModelStore({ remote: false });
  try {
    const requested = options.backbone ?? process.env.EDGEHEAD_BACKBONE;
    let backboneId = await getCurrentBackboneId(kv);
    if (requested || !backboneId) {
      const source = await resolveBackboneSource(requested || undefined, { sha256: options.sha256 });
      const { manifest, stored } = await importBackbone(kv, source.bytes, source, new Date());
      backboneId = manifest.id;
      const { spec } = manifest;
      options.log(
        `${stored ? 'imported' : 'using'} backbone ${manifest.name} (${manifest.id}): ${spec.inputWidth}x${spec.inputHeight} input, ${spec.embeddingSize}-d embeddings`,
      );
    } else {
      options.log(`using backbone ${backboneId} from ${LOCAL_STATE_DIR}`);
    }
    const head = await getCurrentHeadPointer(kv);
    options.log(head ? `serving head ${head.version}` : 'no head yet: train one with `npx edgehead train --data DIR` while the service runs');
    return { backboneId, headVersion: head?.version ?? null };
  } finally {
    await close();
  }
}

/** Runs `wrangler dev` on the local state until it exits; resolves with its exit code. */
export function runWranglerDev(port: number, extraArgs: string[] = []): Promise<number> {
  const child = spawn(
    process.execPath,
    [wranglerBin(), 'dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', LOCAL_STATE_DIR, ...extraArgs],
    { cwd: PROJECT_ROOT, stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolvePromise) => {
    child.on('exit', (code, signal) => resolvePromise(code ?? (signal ? 0 : 1)));
  });
}
