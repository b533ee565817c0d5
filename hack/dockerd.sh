#!/usr/bin/env bash
# Start or stop a Docker engine for the tests on machines without systemd.
#   hack/dockerd.sh start   start dockerd when no engine answers (records that we started it)
#   hack/dockerd.sh stop    stop it again, only if this script started it
set -euo pipefail
state=${KUBELIFT_CACHE:-/var/cache/kubelift}/dockerd
mkdir -p "$state"
pidfile="$state/dockerd.pid"

case "${1:-}" in
  start)
    if docker info >/dev/null 2>&1; then
      echo "docker engine already answering"
      exit 0
    fi
    command -v dockerd >/dev/null || {
      echo "dockerd not installed: apt-get install -y docker.io" >&2
      exit 1
    }
    nohup dockerd --pidfile "$pidfile" >"$state/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      if docker info >/dev/null 2>&1; then
        echo "docker engine started (pid $(cat "$pidfile"))"
        exit 0
      fi
      sleep 1
    done
    echo "dockerd did not answer within 60 s; log: $state/dockerd.log" >&2
    tail -20 "$state/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
      done
      echo "docker engine stopped"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
