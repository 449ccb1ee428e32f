/**
 * Embedding on every core: `threads` worker threads, each with its own backbone runtime (embed-worker.ts), taking
 * tasks from one queue. A photo embeds to the same bits on any thread: each runs the same wasm binaries through
 * the same `runEmbedTask`.
 */
import { Worker } from 'node:worker_threads';
import { EdgeheadError } from '../shared/errors.ts';
import type { EmbedTask, EmbedTaskFailure, EmbedTaskResult } from './embed-task.ts';

export interface EmbedPool {
  readonly size: number;
  /** Runs one task on the next free thread. @throws EdgeheadError when the photo is refused */
  run(task: EmbedTask): Promise<EmbedTaskResult>;
  close(): Promise<void>;
}

interface Job {
  id: number;
  task: EmbedTask;
  resolve(result: EmbedTaskResult): void;
  reject(error: Error): void;
}

type Reply = { ready: true } | { id: number; result: EmbedTaskResult } | { id: number; failure: EmbedTaskFailure };

const WORKER_URL = new URL('./embed-worker.mjs', import.meta.url);
/** Tasks in flight per worker. */
const DEPTH = 2;

function startWorker(backbone: { bytes: Uint8Array; name: string }): Promise<Worker> {
  const worker = new Worker(WORKER_URL, { workerData: backbone });
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    const onExit = (code: number) => reject(new Error(`an embedding worker exited with code ${code} while starting`));
    worker.once('message', () => {
      worker.off('error', onError).off('exit', onExit);
      resolve(worker);
    });
    worker.once('error', onError).once('exit', onExit);
  });
}

/**
 * Starts `threads` workers on the backbone's .tflite bytes; resolves once every one is ready.
 * @throws when a worker fails to start (the others are stopped)
 */
export async function startEmbedPool(backbone: { bytes: Uint8Array; name: string }, threads: number): Promise<EmbedPool> {
  const started = await Promise.allSettled(Array.from({ length: threads }, () => startWorker(backbone)));
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw failed.reason;
  }
  const queue: Job[] = [];
  // Each worker's tasks in flight, oldest first (a worker answers in order). Two per worker: the next one already
  // waits in the worker's own message queue, so it never idles while this thread is busy embedding a photo itself.
  const inFlight = new Map<Worker, Job[]>(workers.map((w) => [w, []]));
  let broken: Error | null = null;
  let nextId = 0;

  const pump = () => {
    while (queue.length > 0) {
      const [worker, jobs] = [...inFlight].reduce((a, b) => (b[1].length < a[1].length ? b : a));
      if (jobs.length >= DEPTH) return;
      const job = queue.shift()!;
      jobs.push(job);
      worker.postMessage({ id: job.id, task: job.task }, [job.task.bytes.buffer as ArrayBuffer]);
    }
  };
  const fail = (error: Error) => {
    broken ??= error;
    for (const jobs of inFlight.values()) for (const job of jobs.splice(0)) job.reject(broken);
    for (const job of queue.splice(0)) job.reject(broken);
  };
  for (const worker of workers) {
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) return;
      const job = inFlight.get(worker)!.shift();
      if (!job) return;
      if ('failure' in reply) job.reject(new EdgeheadError(reply.failure.kind, reply.failure.code, reply.failure.message));
      else job.resolve(reply.result);
      pump();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`an embedding worker exited with code ${code}`)));
  }
  return {
    size: workers.length,
    run(task) {
      if (broken) return Promise.reject(broken);
      return new Promise((resolve, reject) => {
        // The bytes move to the worker (no copy); a view into a larger buffer is copied first, so nothing else detaches.
        const own = task.bytes.byteOffset === 0 && task.bytes.byteLength === task.bytes.buffer.byteLength;
        queue.push({ id: nextId++, task: own ? task : { ...task, bytes: task.bytes.slice() }, resolve, reject });
        pump();
      });
    },
    async close() {
      broken ??= new Error('the embedding pool is closed');
      for (const worker of workers) worker.removeAllListeners('exit').removeAllListeners('error');
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
