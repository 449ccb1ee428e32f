#!/bin/sh
# What miniflare runs as workerd under the edgehead CLI (MINIFLARE_WORKERD_PATH, set by trainer/process-tether.ts):
# the real workerd, killed by the kernel the moment the process that started it dies, even by SIGKILL.
exec "$EDGEHEAD_SETPRIV" --pdeathsig KILL -- "$EDGEHEAD_WORKERD_BINARY" "$@"
