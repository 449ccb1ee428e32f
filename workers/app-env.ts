import type { ServiceConfig } from '../shared/config.ts';
import type { ModelCache } from './model-cache.ts';

/** Hono's typing of our bindings and of the per-request values the app sets up. */
export interface AppEnv {
  Bindings: Env;
  Variables: { config: ServiceConfig; models: ModelCache };
}
