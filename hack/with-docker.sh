#!/usr/bin/env bash
# Run a command with a Docker engine available: start one when none answers (installing Debian's
# docker.io when it is missing and we are root), run the command, and stop the engine again afterwards
# if this script started it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo ">> installing docker.io from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
  else
    echo "no Docker engine: install docker.io (Debian) or docker-ce and start it" >&2
    exit 1
  fi
fi

started=false
if ! docker info >/dev/null 2>&1; then
  "$here/dockerd.sh" start
  started=true
fi
stop() { if $started; then "$here/dockerd.sh" stop; fi; }
trap stop EXIT
"$@"
