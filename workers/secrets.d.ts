/** Secrets are not in wrangler.toml, so `wrangler types` cannot see them; declared here. */
declare namespace Cloudflare {
  interface Env {
    /** bearer token of the admin routes: `wrangler secret put ADMIN_TOKEN`, locally `.dev.vars` */
    ADMIN_TOKEN?: string;
  }
}
