#!/bin/sh
# What wrangler dev runs as its esbuild service under `edgehead serve` (ESBUILD_BINARY_PATH, set by
# trainer/process-tether.ts): the real esbuild under `setpriv --pdeathsig KILL`, so it dies with wrangler's cli.js
# even when that is killed (it otherwise waits for its stdin to close, which a SIGKILLed tree may never do).
exec "$EDGEHEAD_SETPRIV" --pdeathsig KILL -- "$EDGEHEAD_ESBUILD_BINARY" "$@"
