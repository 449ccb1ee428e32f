/**
 * The worker isolate's own memory under `wrangler dev`, sampled through wrangler's inspector proxy
 * (`--inspector-port`) with the DevTools protocol's `Runtime.getHeapUsage`: the V8 heap in use plus the backing
 * stores of ArrayBuffers (typed arrays) and external strings. Unlike the workerd process's resident memory this
 * leaves out miniflare's local D1/KV/R2, which run in the same process.
 *
 * The isolate answers only between its synchronous stretches (at each await: every D1 page, KV read, the
 * response), so a long computation is seen by the first sample after it; whatever it allocated and still
 * holds then is counted, including garbage not yet collected.
 */
import WebSocket from 'ws';

interface HeapUsage {
  usedSize: number;
  totalSize: number;
  backingStorageSize?: number;
}

export interface HeapSampler {
  /** Stops sampling; in MiB: the first sample's sum (before the work), and the peaks of the JS heap in use, the
   * ArrayBuffer and external string stores, and their sum. */
  stop(): Promise<{ samples: number; beforeMb: number; heapMb: number; buffersMb: number; totalMb: number }>;
}

/** Connects to the worker's inspector on `port` and samples every `intervalMs` (one request in flight at a time). */
export async function sampleIsolateHeap(port: number, intervalMs = 20): Promise<HeapSampler> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  if (!targets[0]) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  let nextId = 1;
  let waiting: { id: number; resolve: (usage: HeapUsage) => void } | null = null;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: HeapUsage };
    if (waiting && message.id === waiting.id && message.result) waiting.resolve(message.result);
  });
  const ask = () =>
    new Promise<HeapUsage>((resolve) => {
      waiting = { id: nextId++, resolve };
      socket.send(JSON.stringify({ id: waiting.id, method: 'Runtime.getHeapUsage' }));
    });
  const peak = { samples: 0, before: 0, heap: 0, buffers: 0, total: 0 };
  const record = (usage: HeapUsage) => {
    const buffers = usage.backingStorageSize ?? 0;
    if (peak.samples === 0) peak.before = usage.usedSize + buffers;
    peak.samples++;
    peak.heap = Math.max(peak.heap, usage.usedSize);
    peak.buffers = Math.max(peak.buffers, buffers);
    peak.total = Math.max(peak.total, usage.usedSize + buffers);
  };
  record(await ask());
  let running = true;
  const loop = (async () => {
    while (running) {
      record(await ask());
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      record(await ask());
      socket.close();
      const mb = (bytes: number) => bytes / 2 ** 20;
      return { samples: peak.samples, beforeMb: mb(peak.before), heapMb: mb(peak.heap), buffersMb: mb(peak.buffers), totalMb: mb(peak.total) };
    },
  };
}
