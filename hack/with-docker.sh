#!/usr/bin/env bash
# Run a command with a Docker engine available: install the Debian packages the lab needs when missing,
# start an engine when none answers, run the command, and stop the engine again afterwards if this
# script started it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

"$here/install-deps.sh"

started=false
if ! docker info >/dev/null 2>&1; then
  "$here/dockerd.sh" start
  started=true
fi
stop() { if $started; then "$here/dockerd.sh" stop; fi; }
trap stop EXIT
"$@"
