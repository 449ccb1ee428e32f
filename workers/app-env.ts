import type { ServiceConfig } from '../shared/config.ts';
import type { Runtime } from '../shared/runtime.ts';
import type { ModelCache } from './model-cache.ts';

/** Hono's typing of our bindings and of the per-request values the app sets up. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: ServiceConfig;
    models: ModelCache;
    /** this isolate's runtime (workers/runtime.ts): image kernels, codecs, the TF backend */
    runtime: Runtime;
    /** set by the request log: Cloudflare's ray id or a fresh UUID, echoed in `x-request-id` */
    requestId: string;
    /** set by errorResponse: the code of the failure, for the request's log line */
    errorCode?: string;
  };
}
