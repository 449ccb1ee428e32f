import { configFor, createApp } from './app.ts';
import { runTraining } from './training.ts';

const app = createApp();

export default {
  fetch: app.fetch,
  /** The cron trigger: one retraining job (recorded in D1; a failure is recorded there, not thrown). */
  scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runTraining(env, configFor(env), 'cron', () => new Date()).then((run) => {
        console.log(`training run ${run.id} (${controller.cron}): ${run.status}: ${run.reason}`);
      }),
    );
  },
} satisfies ExportedHandler<Env>;
