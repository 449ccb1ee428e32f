#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on the fly so `npx edgehead` works straight after `npm install`.
import { register } from 'tsx/esm/api';

register();
// Local state needs no network: keep wrangler/miniflare from fetching the `Request.cf` placeholder.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false';
// No workerd may outlive the command, even one killed with SIGKILL (trainer/process-tether.ts).
const { tetherWorkerd } = await import('../trainer/process-tether.ts');
tetherWorkerd();
const { main } = await import('../trainer/cli.ts');
process.exitCode = await main(process.argv.slice(2));
