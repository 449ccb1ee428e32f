import { configFor, createApp } from './app.ts';
import { logLine } from './request-log.ts';
import { runTraining } from './training.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  /** The cron trigger: one retraining job (recorded in D1; a failure is recorded there, not thrown), one log line. */
  scheduled(controller, env, ctx) {
    const started = Date.now();
    ctx.waitUntil(
      runTraining(env, configFor(env), 'cron', () => new Date()).then(
        (run) => logLine({ type: 'cron', cron: controller.cron, run: run.id, status: run.status, reason: run.reason, ms: Date.now() - started }),
        (error: unknown) => {
          console.error(JSON.stringify({ type: 'cron', cron: controller.cron, status: 'error', message: String(error), stack: (error as Error)?.stack, ms: Date.now() - started }));
          throw error;
        },
      ),
    );
  },
} satisfies ExportedHandler<Env>;
