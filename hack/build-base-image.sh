#!/usr/bin/env bash
# Build the Debian base image every lab image starts from, without pulling anything:
# mmdebstrap a minimal bookworm root file system and `docker import` it.
# Cached: the image is rebuilt only when this script changes.
set -euo pipefail
SUITE=${SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
image="kubelift/debian:$SUITE"
stamp=$(sha256sum "$0" | cut -c1-12)

if [[ $(docker image inspect -f '{{ index .Config.Labels "kubelift.stamp" }}' "$image" 2>/dev/null) == "$stamp" ]]; then
  echo "$image is up to date"
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mmdebstrap is missing: apt-get install -y mmdebstrap" >&2; exit 1; }
tarball=$(mktemp --suffix=.tar)
trap 'rm -f "$tarball"' EXIT
echo ">> mmdebstrap $SUITE (minbase)"
mmdebstrap --quiet --mode=root --variant=minbase --format=tar \
  --include=ca-certificates \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
  "$SUITE" "$tarball" "deb $DEBIAN_MIRROR $SUITE main" "deb $DEBIAN_MIRROR $SUITE-updates main"
docker import \
  --change 'CMD ["/bin/bash"]' \
  --change "LABEL kubelift.stamp=$stamp" \
  --change 'ENV DEBIAN_FRONTEND=noninteractive' \
  "$tarball" "$image" >/dev/null
echo "built $image ($(docker image inspect -f '{{ .Size }}' "$image" | numfmt --to=iec))"
