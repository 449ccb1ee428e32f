#!/bin/sh
# What miniflare runs as workerd under the edgehead CLI (MINIFLARE_WORKERD_PATH, set by trainer/process-tether.ts).
# 1. This shell re-runs itself under `setpriv --pdeathsig KILL`: the kernel kills it the moment its parent (the
#    CLI, or wrangler's cli.js) dies, even by SIGKILL.
# 2. It runs the real workerd the same way, as its own child, so miniflare stopping this pid (SIGKILL) kills workerd.
# 3. A workerd that dies while this shell lives died by itself (a crash, a kill): the shell appends
#    "<pid> <status>" to $EDGEHEAD_WORKERD_EXITS when set, which is how `edgehead serve` learns of it at once.
if [ -z "$EDGEHEAD_TETHERED" ]; then
  EDGEHEAD_TETHERED=1 exec "$EDGEHEAD_SETPRIV" --pdeathsig KILL -- "$0" "$@"
fi
# An asynchronous command's stdin would be /dev/null: hand workerd the real one (miniflare writes its config there).
exec 4<&0
EDGEHEAD_TETHERED= "$EDGEHEAD_SETPRIV" --pdeathsig KILL -- "$EDGEHEAD_WORKERD_BINARY" "$@" 0<&4 4<&- &
workerd=$!
# Only workerd holds miniflare's pipes, so miniflare sees them close when workerd exits.
exec 0<&- 1>&- 2>&- 3>&- 4<&-
wait "$workerd"
status=$?
if [ -n "$EDGEHEAD_WORKERD_EXITS" ]; then echo "$workerd $status" >> "$EDGEHEAD_WORKERD_EXITS"; fi
exit "$status"
