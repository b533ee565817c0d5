#!/usr/bin/env bash
# Build the Kubernetes binaries the offline lab uses from the Go module proxy, with the machine's Go.
# k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces the k8s.io/* staging modules with
# ./staging paths), so a small build module requires it and pins every staging module to the matching
# v0.<minor>.<patch> release. The release is stamped in as `make` would (kubeadm/kubectl version).
# Output: $KUBELIFT_CACHE/kubernetes-<version>/bin/{kubeadm,kubelet,kubectl,kube-*,pause}.
# Cached by version and by this script's content: a second call is a no-op.
# Needs: go (>= the release's go directive; set GOTOOLCHAIN=go1.27.x when a release asks for more), gcc.
set -euo pipefail

KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
K8S_VERSION=${K8S_VERSION:-1.36.3}
K8S_VERSION=${K8S_VERSION#v}
out="$KUBELIFT_CACHE/kubernetes-$K8S_VERSION"
components=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)
stamp=$(sha256sum "$0" | cut -c1-16)

if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$stamp" ]]; then
  echo "kubernetes $K8S_VERSION binaries cached in $out"
  exit 0
fi
[[ -x /usr/local/go/bin/go ]] && PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "go is missing: install Go (>= 1.26) or put it on PATH" >&2; exit 1; }

export GOMODCACHE=${GOMODCACHE:-$KUBELIFT_CACHE/go/mod}
export GOCACHE=${GOCACHE:-$KUBELIFT_CACHE/go/build}
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0 GOOS=linux GOARCH=amd64
work="$KUBELIFT_CACHE/build/kubernetes-$K8S_VERSION"
rm -rf "$work" "$out"
mkdir -p "$work" "$out/bin"
cd "$work"

echo ">> kubernetes $K8S_VERSION: fetching k8s.io/kubernetes from the Go module proxy"
if ! info=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" 2>&1); then
  served=$(go list -m -versions k8s.io/kubernetes 2>/dev/null | tr ' ' '\n' | grep -E '^v1\.(3[4-9])\.[0-9]+$' | tr '\n' ' ')
  echo "Kubernetes v$K8S_VERSION cannot be had from the Go module proxy: $(jq -r '.Error // empty' <<<"$info" 2>/dev/null || echo "$info")" >&2
  echo "Fix: set K8S_VERSION (lab_kubernetes_version) to a release the proxy serves: ${served:-none listed}" >&2
  exit 1
fi
src=$(jq -r .Dir <<<"$info")
commit=$(jq -r '.Origin.Hash // empty' <<<"$info")
# kubernetes publishes each staging module at v0.<minor>.<patch> for release v1.<minor>.<patch>.
staging_version="v0.${K8S_VERSION#*.}"
mapfile -t staging < <(sed -nE 's#^[[:space:]]*(replace[[:space:]]+)?(k8s\.io/[^ ]+) => \./staging/.*#\2#p' "$src/go.mod" | sort -u)
[[ ${#staging[@]} -gt 0 ]] || { echo "no staging modules found in $src/go.mod" >&2; exit 1; }
go_directive=$(sed -nE 's/^go ([0-9.]+)$/\1/p' "$src/go.mod")

{
  echo "module kubelift.local/build/kubernetes"
  echo
  echo "go $go_directive"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  for m in "${staging[@]}"; do echo "replace $m => $m $staging_version"; done
  echo
  for c in "${components[@]}"; do echo "tool k8s.io/kubernetes/cmd/$c"; done
} >go.mod
echo ">> kubernetes $K8S_VERSION: resolving ${#staging[@]} staging modules at $staging_version"
go mod tidy >"$work/tidy.log" 2>&1 || { tail -30 "$work/tidy.log" >&2; exit 1; }

build_date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
minor=$(cut -d. -f2 <<<"$K8S_VERSION")
ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  [[ -n $commit ]] && ldflags+=" -X $pkg.gitCommit=$commit"
done

for c in "${components[@]}"; do
  started=$(date +%s)
  echo ">> kubernetes $K8S_VERSION: building $c (the first build on 2 cores takes several minutes)"
  go build -trimpath -ldflags "$ldflags" -o "$out/bin/$c" "k8s.io/kubernetes/cmd/$c" 2>"$work/build-$c.log" \
    || { tail -30 "$work/build-$c.log" >&2; exit 1; }
  echo "   $c: $(( $(date +%s) - started )) s, $(du -h "$out/bin/$c" | cut -f1)"
done
gcc -Os -static -DVERSION="v$K8S_VERSION" -o "$out/bin/pause" "$src/build/pause/linux/pause.c"
strip "$out/bin/pause" || true

"$out/bin/kubeadm" version -o short
echo "kubectl $("$out/bin/kubectl" version --client -o json | jq -r .clientVersion.gitVersion)"
[[ "$("$out/bin/kubeadm" version -o short)" == "v$K8S_VERSION" ]] || { echo "version stamp missing" >&2; exit 1; }
cd /
rm -rf "$work"
echo "$stamp" >"$out/.complete"
echo "kubernetes $K8S_VERSION binaries built in $out"
