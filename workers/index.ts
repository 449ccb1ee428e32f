import { configFor, createApp } from './app.ts';
import { logLine } from './request-log.ts';
import { runDueTraining } from './training.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The cron trigger: one retraining job per model that is due (each recorded in D1; a failure is recorded there,
   * not thrown), one log line per model.
   */
  scheduled(controller, env, ctx) {
    const started = Date.now();
    ctx.waitUntil(
      runDueTraining(env, configFor(env), () => new Date()).then((results) => {
        for (const { model, run, error } of results) {
          if (run) logLine({ type: 'cron', cron: controller.cron, model, run: run.id, status: run.status, reason: run.reason, ms: Date.now() - started });
          else console.error(JSON.stringify({ type: 'cron', cron: controller.cron, model, status: 'error', message: String(error), stack: (error as Error)?.stack, ms: Date.now() - started }));
        }
        const failed = results.find((r) => !r.run);
        if (failed) throw failed.error;
      }),
    );
  },
} satisfies ExportedHandler<Env>;
