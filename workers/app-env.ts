import type { ServiceConfig } from '../shared/config.ts';
import type { Runtime } from '../shared/runtime.ts';
import type { ModelScope } from './model-cache.ts';

/** Hono's typing of our bindings and of the per-request values the app sets up. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: ServiceConfig;
    /** this request's view of the isolate's model cache: backbones it loads are held until the response */
    models: ModelScope;
    /** the named model the route acts on: `default` under `/v1`, the path's under `/v1/models/:name` */
    model: string;
    /** this isolate's runtime (workers/runtime.ts): image kernels, codecs, the TF backend */
    runtime: Runtime;
    /** set by the request log: Cloudflare's ray id or a fresh UUID, echoed in `x-request-id` */
    requestId: string;
    /** set by errorResponse: the code of the failure, for the request's log line */
    errorCode?: string;
  };
}
