#!/usr/bin/env bash
# The app_image role offline: bases are the lab's local images (kubelift/debian:bookworm, kubelift/busybox:lab)
# since no public registry is reachable; Debian's archive is. Builds a code image, php-debian and nginx-debian
# runtime images and a python image, pushes them to a throwaway registry (the lab's registry image), checks that a
# second run changes nothing, then runs the pushed php and nginx images with the code image the way the app role's
# pod does (init copy into a shared volume, php-fpm + nginx as uid 33, the generated configs) and asks for a page.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${PREFIX:-apps-img}
port=${REGISTRY_PORT:-25001}
registry="127.0.0.1:$port/$prefix"
work=$(mktemp -d)
python=${PYTHON:-python3}

remove() {
  docker rm -f "$prefix-registry" "$prefix-copy" "$prefix-php" "$prefix-web" >/dev/null 2>&1 || true
  docker volume rm "$prefix-code" >/dev/null 2>&1 || true
  docker images --format '{{.Repository}}:{{.Tag}}' | grep "^$registry/" | xargs -r docker rmi >/dev/null 2>&1 || true
}
trap 'remove; [[ -n "${KEEP:-}" ]] && echo "kept $work" || rm -rf "$work"' EXIT
remove
docker run -d --name "$prefix-registry" -p "127.0.0.1:$port:5000" kubelift/registry:bookworm >/dev/null

mkdir -p "$work/shop/public" "$work/api"
cat >"$work/shop/public/index.php" <<'EOF'
<?php echo "shop ", PHP_VERSION, " mysqli=", extension_loaded('mysqli') ? 'yes' : 'no', "\n";
EOF

mkdir -p "$work/shop/.git" && echo "not in the image" >"$work/shop/.git/HEAD"
echo "def application(e, s): pass" >"$work/api/app.py"

cat >"$work/vars.yml" <<EOF
app_image_registry: $registry
app_image_build_dir: $work/build
app_image_code_base: kubelift/busybox:lab
app_image_debian_base: kubelift/debian:bookworm
app_image_builds:
  - name: shop-code
    kind: code
    tag: "1.0.0"
    src: $work/shop
  - name: shop-php
    kind: php-debian
    tag: "8.2-1"
    php_extensions: [mysql]
  - name: nginx
    kind: nginx-debian
    tag: "1.22-1"
    packages: [curl]
  - name: api
    kind: python
    tag: "1.0.0"
    src: $work/api
    base_image: kubelift/debian:bookworm
EOF
cat >"$work/play.yml" <<'EOF'
- name: Build app images
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: kubelift.cluster.app_image
EOF

cd "$root"
export ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$root/.collections" ANSIBLE_FORCE_COLOR=0
fail() { echo "FAIL: $*" >&2; exit 1; }
recap() { grep -A1 'PLAY RECAP' "$1" | tail -1; }

echo ">> build and push"
ansible-playbook "$work/play.yml" -e "@$work/vars.yml" >"$work/1.log" 2>&1 || { tail -40 "$work/1.log"; fail "build failed"; }
echo "ok   $(recap "$work/1.log")"
for image in shop-code:1.0.0 shop-php:8.2-1 nginx:1.22-1 api:1.0.0; do
  tags=$(curl -s "http://127.0.0.1:$port/v2/$prefix/${image%%:*}/tags/list")
  [[ "$tags" == *"\"${image#*:}\""* ]] || fail "$image is not in the registry: $tags"
done
echo "ok   the registry lists the four images"

echo ">> again: nothing changes"
ansible-playbook "$work/play.yml" -e "@$work/vars.yml" >"$work/2.log" 2>&1 || { tail -40 "$work/2.log"; fail "second run failed"; }
recap "$work/2.log" | grep -q 'changed=0 ' || { grep -B3 'changed:' "$work/2.log" | head -30; fail "second run changed something: $(recap "$work/2.log")"; }
echo "ok   $(recap "$work/2.log")"

echo ">> bad input fails before building"
printf 'app_image_builds: [{name: Shop, kind: code, tag: latest}]\napp_image_registry: ""\n' >"$work/bad.yml"
if ansible-playbook "$work/play.yml" -e "@$work/bad.yml" >"$work/3.log" 2>&1; then fail "bad input passed"; fi
for text in "app_image_registry: is required to push" "name: 'Shop' is not an image repository name" \
            "src: is required for a code image" "tag: use a version, not latest"; do
  grep -qF "$text" "$work/3.log" || fail "no '$text' in the failure"
done
echo "ok   one failure listing every problem"

echo ">> run the images like the app role's pod"
[[ $(docker run --rm "$registry/shop-code:1.0.0" sh -c 'ls -A /src') == "public" ]] || fail ".git was copied into the code image"
PYTHONPATH="$root/.collections" "$python" - "$work" <<'EOF'
import sys
from ansible_collections.kubelift.cluster.plugins.module_utils import app_manifests as am
spec = {"name": "shop", "pattern": "php-nginx", "image": "x", "code": {"image": "y"},
        "php": {"pool_dir": "/etc/php/8.2/fpm/pool.d"}, "nginx": {"document_root": "public"}}
manifests = am.render_app(spec)
data = [m for m in manifests if m["kind"] == "ConfigMap"][0]["data"]
open(sys.argv[1] + "/nginx.conf", "w").write(data[am.NGINX_CONF_KEY])
open(sys.argv[1] + "/pool.conf", "w").write(data[am.PHP_POOL_KEY])
init = [m for m in manifests if m["kind"] == "Deployment"][0]["spec"]["template"]["spec"]["initContainers"][0]
open(sys.argv[1] + "/copy.sh", "w").write(init["command"][2])
EOF
secure=(--user 33:33 --cap-drop ALL --security-opt no-new-privileges)
docker volume create "$prefix-code" >/dev/null
docker run --rm -u 0 -v "$prefix-code:/kubelift-code" kubelift/busybox:lab chmod 777 /kubelift-code  # an emptyDir is 0777
docker run --rm --name "$prefix-copy" "${secure[@]}" -v "$prefix-code:/kubelift-code" "$registry/shop-code:1.0.0" \
  sh -c "$(cat "$work/copy.sh")"
docker run -d --name "$prefix-php" "${secure[@]}" -v "$prefix-code:/var/www/html" \
  -v "$work/pool.conf:/etc/php/8.2/fpm/pool.d/zz-kubelift.conf:ro" "$registry/shop-php:8.2-1" >/dev/null
docker run -d --name "$prefix-web" "${secure[@]}" --network "container:$prefix-php" --tmpfs /tmp:uid=33,gid=33 \
  -v "$prefix-code:/var/www/html:ro" -v "$work/nginx.conf:/etc/nginx/nginx.conf:ro" "$registry/nginx:1.22-1" >/dev/null
for _ in $(seq 30); do
  docker exec "$prefix-web" curl -sf http://127.0.0.1:8080/fpm-ping >/dev/null 2>&1 && break
  sleep 0.5
done
page=$(docker exec "$prefix-web" curl -s http://127.0.0.1:8080/)
[[ "$page" == "shop 8.2."*" mysqli=yes" ]] || { docker logs "$prefix-php" | tail; fail "unexpected page: $page"; }
echo "ok   $page"
echo "all app image checks passed"
