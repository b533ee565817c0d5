#!/usr/bin/env bash
# Build one of the lab's images from hack/images/<name>/ on top of the local Debian base image
# (nothing is pulled). Cached: rebuilt only when the base image or the build context change.
#   hack/build-image.sh node        -> kubelift/node:bookworm
#   hack/build-image.sh registry    -> kubelift/registry:bookworm
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: $0 <image directory under hack/images>}
context="$here/images/$name"
[[ -f $context/Dockerfile ]] || { echo "no Dockerfile in $context" >&2; exit 1; }
"$here/build-base-image.sh" >/dev/null
image="kubelift/$name:bookworm"
stamp=$( (docker image inspect -f '{{ .Id }}' kubelift/debian:bookworm; find "$context" -type f -print0 | sort -z | xargs -0 cat) | sha256sum | cut -c1-12)
if [[ $(docker image inspect -f '{{ index .Config.Labels "kubelift.stamp" }}' "$image" 2>/dev/null) == "$stamp" ]]; then
  echo "$image is up to date"
  exit 0
fi
echo ">> building $image"
docker build -q --label "kubelift.stamp=$stamp" -t "$image" "$context" >/dev/null 2>"${TMPDIR:-/tmp}/kubelift-build-$name.log" || {
  cat "${TMPDIR:-/tmp}/kubelift-build-$name.log" >&2
  exit 1
}
echo "built $image"
