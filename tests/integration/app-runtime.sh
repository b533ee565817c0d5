#!/usr/bin/env bash
# Runs the nginx.conf and php-fpm settings that kubelift.cluster.app_manifests generates with Debian's nginx
# and php-fpm, the way a pod runs them: two containers sharing one network namespace, as uid 33 with every
# capability dropped and no privilege escalation, /tmp a tmpfs, code mounted read-only. Then checks what
# the probes and users see. Needs a Docker engine and the kubelift/debian:bookworm base image (or BASE_IMAGE).
#
#   tests/integration/app-runtime.sh            # php-nginx in one pod, split php-nginx, python behind nginx, static
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${PREFIX:-apps-rt}
base=${BASE_IMAGE:-kubelift/debian:bookworm}
image="$prefix:bookworm"
work=$(mktemp -d)
python=${PYTHON:-python3}
failures=0

remove_containers() {
  docker rm -f "$prefix-php" "$prefix-web" "$prefix-fpm" "$prefix-py" >/dev/null 2>&1 || true
  docker network rm "$prefix-net" >/dev/null 2>&1 || true
}
trap 'remove_containers; rm -rf "$work"' EXIT
remove_containers

cat >"$work/Dockerfile" <<EOF
FROM $base
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      nginx-light php8.2-fpm curl python3-gunicorn >/dev/null && rm -rf /var/lib/apt/lists/*
EOF
docker build -q -t "$image" "$work" >/dev/null 2>&1

# Code: a front controller, a static file and a dotfile that must not be served.
mkdir -p "$work/code/public" "$work/pyapp"
cat >"$work/code/public/index.php" <<'EOF'
<?php
header('Content-Type: text/plain');
echo "php uid=", posix_getuid(), " APP_ENV=", getenv('APP_ENV'), " PATH_INFO=", $_SERVER['PATH_INFO'] ?? '', "\n";
EOF
echo "static file" >"$work/code/public/static.txt"
echo "SECRET=1" >"$work/code/public/.env"
cat >"$work/pyapp/app.py" <<'EOF'
def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    proto = environ.get("HTTP_X_FORWARDED_PROTO", "")
    return [("python path=%s proto=%s\n" % (environ["PATH_INFO"], proto)).encode()]
EOF

# Render the configs (python3 with PyYAML-free stdlib only: the module_utils are pure).
render() {
  PYTHONPATH="$root/.collections" "$python" - "$work" "$@" <<'EOF'
import json, sys
from ansible_collections.kubelift.cluster.plugins.module_utils import app_manifests as am
work, name, spec = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
config = [m for m in am.render_app(spec) if m["kind"] == "ConfigMap"][0]["data"]
for key, value in config.items():
    with open("%s/%s-%s" % (work, name, key), "w") as handle:
        handle.write(value)
EOF
}

secure=(--user 33:33 --cap-drop ALL --security-opt no-new-privileges)

check() { # check <container> <url> <expected status> <expected text or ''>
  local out code
  out=$(docker exec "$1" curl -s -H 'X-Forwarded-Proto: https' -w '\n%{http_code}' "$2")
  code=${out##*$'\n'}
  body=${out%$'\n'*}
  if [[ "$code" == "$3" && ( -z "$4" || "$body" == *"$4"* ) ]]; then
    echo "ok   $2 -> $code ${4:+($4)}"
  else
    echo "FAIL $2 -> $code, expected $3 ${4:+with '$4'}: $body"
    failures=$((failures + 1))
  fi
}

wait_up() { # wait_up <container> <url>
  for _ in $(seq 30); do
    docker exec "$1" curl -s -o /dev/null "$2" && return 0
    sleep 0.5
  done
  docker logs "$1" | tail -20
  return 1
}

echo ">> php-nginx, one pod (php-fpm on 127.0.0.1:9000)"
render one '{"name": "shop", "pattern": "php-nginx", "image": "x", "nginx": {"document_root": "public"},
            "php": {"pool_dir": "/etc/php/8.2/fpm/pool.d"}}'
docker run -d --name "$prefix-php" "${secure[@]}" -e APP_ENV=production -v "$work/code:/var/www/html:ro" \
  -v "$work/one-kubelift-php-fpm-pool.conf:/etc/php/8.2/fpm/pool.d/zz-kubelift.conf:ro" "$image" php-fpm8.2 >/dev/null
docker run -d --name "$prefix-web" "${secure[@]}" --network "container:$prefix-php" --tmpfs /tmp:uid=33,gid=33 \
  -v "$work/code:/var/www/html:ro" -v "$work/one-kubelift-nginx.conf:/etc/nginx/nginx.conf:ro" "$image" \
  nginx -g 'daemon off;' >/dev/null
wait_up "$prefix-php" http://127.0.0.1:8080/healthz
check "$prefix-php" http://127.0.0.1:8080/healthz 200 ok
check "$prefix-php" http://127.0.0.1:8080/fpm-ping 200 pong
check "$prefix-php" http://127.0.0.1:8080/ 200 "php uid=33 APP_ENV=production"
check "$prefix-php" http://127.0.0.1:8080/index.php/a/b 200 "PATH_INFO=/a/b"
check "$prefix-php" http://127.0.0.1:8080/pretty/url 200 "php uid=33"
check "$prefix-php" http://127.0.0.1:8080/static.txt 200 "static file"
check "$prefix-php" http://127.0.0.1:8080/.env 403 ""
check "$prefix-php" http://127.0.0.1:8080/missing.php 404 ""
if docker exec "$prefix-php" sh -c 'ss -ltn 2>/dev/null || cat /proc/net/tcp' | grep -q '0.0.0.0:9000\|00000000:2328'; then
  echo "FAIL php-fpm listens on all addresses in the one-pod layout"; failures=$((failures + 1))
else
  echo "ok   php-fpm listens on 127.0.0.1 only"
fi
docker rm -f "$prefix-php" "$prefix-web" >/dev/null

echo ">> php-nginx split (nginx -> Service name -> php-fpm on all addresses)"
docker network create "$prefix-net" >/dev/null
render split '{"name": "blog", "namespace": "blog", "pattern": "php-nginx", "split": true, "image": "x",
              "nginx": {"document_root": "public"}, "php": {"pool_dir": "/etc/php/8.2/fpm/pool.d"}}'
# The Service name blog-php.blog.svc resolves through Docker's DNS (a network alias) here.
docker run -d --name "$prefix-fpm" "${secure[@]}" --network "$prefix-net" --network-alias blog-php.blog.svc \
  -v "$work/code:/var/www/html:ro" \
  -v "$work/split-kubelift-php-fpm-pool.conf:/etc/php/8.2/fpm/pool.d/zz-kubelift.conf:ro" "$image" php-fpm8.2 >/dev/null
sleep 1
docker run -d --name "$prefix-web" "${secure[@]}" --network "$prefix-net" --tmpfs /tmp:uid=33,gid=33 \
  -v "$work/code:/var/www/html:ro" -v "$work/split-kubelift-nginx.conf:/etc/nginx/nginx.conf:ro" "$image" \
  nginx -g 'daemon off;' >/dev/null
wait_up "$prefix-web" http://127.0.0.1:8080/healthz
check "$prefix-web" http://127.0.0.1:8080/ 200 "php uid=33"
check "$prefix-web" http://127.0.0.1:8080/static.txt 200 "static file"
check "$prefix-web" http://127.0.0.1:8080/fpm-ping 200 pong
docker rm -f "$prefix-fpm" "$prefix-web" >/dev/null

echo ">> python behind nginx (gunicorn on 0.0.0.0:8000)"
render py '{"name": "api", "pattern": "python", "image": "x", "python": {"app": "app:application"},
           "nginx": {"enabled": true}}'
docker run -d --name "$prefix-py" "${secure[@]}" -v "$work/pyapp:/app:ro" -w /app "$image" \
  python3 -m gunicorn --bind 0.0.0.0:8000 --workers 1 app:application >/dev/null
docker run -d --name "$prefix-web" "${secure[@]}" --network "container:$prefix-py" --tmpfs /tmp:uid=33,gid=33 \
  -v "$work/py-kubelift-nginx.conf:/etc/nginx/nginx.conf:ro" "$image" nginx -g 'daemon off;' >/dev/null
wait_up "$prefix-py" http://127.0.0.1:8080/healthz
check "$prefix-py" http://127.0.0.1:8080/hello 200 "python path=/hello proto=https"
docker rm -f "$prefix-py" "$prefix-web" >/dev/null

echo ">> static"
render static '{"name": "site", "pattern": "static", "code": {"path": "/var/www/html"}, "nginx": {"document_root": "public"}}'
docker run -d --name "$prefix-web" "${secure[@]}" --tmpfs /tmp:uid=33,gid=33 -v "$work/code:/var/www/html:ro" \
  -v "$work/static-kubelift-nginx.conf:/etc/nginx/nginx.conf:ro" "$image" nginx -g 'daemon off;' >/dev/null
wait_up "$prefix-web" http://127.0.0.1:8080/healthz
check "$prefix-web" http://127.0.0.1:8080/static.txt 200 "static file"
check "$prefix-web" http://127.0.0.1:8080/nothing 404 ""
check "$prefix-web" http://127.0.0.1:8080/.env 403 ""

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all runtime checks passed"
