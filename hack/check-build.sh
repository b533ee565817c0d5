#!/usr/bin/env bash
# Install the built collection tarball into an empty collections path and check that
# `ansible-doc -t role` shows every role's argument spec from the installed copy.
set -euo pipefail
outdir=$1
tarball=$(ls "$outdir"/kubelift-cluster-*.tar.gz)
target=$(mktemp -d)
trap 'rm -rf "$target"' EXIT
ANSIBLE_COLLECTIONS_PATH="$target" ansible-galaxy collection install --force --offline --no-deps -p "$target" "$tarball" >/dev/null 2>&1
installed="$target/ansible_collections/kubelift/cluster"
count=0
for role_dir in "$installed"/roles/*/; do
  role=$(basename "$role_dir")
  if ! ANSIBLE_COLLECTIONS_PATH="$target" ansible-doc -t role "kubelift.cluster.$role" | grep -q 'ENTRY POINT: .*main.* - '; then
    echo "ansible-doc shows no argument spec for kubelift.cluster.$role" >&2
    exit 1
  fi
  count=$((count + 1))
done
echo "built $(basename "$tarball"); ansible-doc shows the argument specs of $count roles"
