#!/usr/bin/env bash
# Build the Kubernetes binaries the offline lab uses, from Debian bookworm's `kubernetes` source package
# (the full v1.20.2 tree with vendor/), with bullseye's Go 1.15 (Go 1.19 builds panic in reflect2).
# Output: $KUBELIFT_CACHE/kubernetes-<version>/bin/{kubeadm,kubelet,kubectl,kube-*} and pause.
# Cached by version: a second call is a no-op. Needs: dpkg-dev, gcc, make, rsync, jq.
set -euo pipefail

KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
K8S_VERSION=${K8S_VERSION:-1.20.2}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out="$KUBELIFT_CACHE/kubernetes-$K8S_VERSION"
components=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

if [[ -f "$out/.complete" ]]; then
  echo "kubernetes $K8S_VERSION binaries cached in $out"
  exit 0
fi

work="$KUBELIFT_CACHE/build"
rm -rf "$work"
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial" "$out/bin"

# A private apt configuration: the machine's own sources stay untouched.
cat >"$work/apt/sources.list" <<SRC
deb-src $DEBIAN_MIRROR bookworm main
deb $DEBIAN_MIRROR bullseye main
SRC
apt_opts=(
  -o "Dir::Etc::SourceList=$work/apt/sources.list"
  -o "Dir::Etc::SourceParts=/nonexistent"
  -o "Dir::State::Lists=$work/apt/lists"
  -o "Dir::Cache::Archives=$work/apt/archives"
  -o "APT::Architecture=amd64"
  -o "Debug::NoLocking=1"
)
echo ">> fetching package lists"
apt-get "${apt_opts[@]}" update -qq
cd "$work"
echo ">> fetching the kubernetes source package and Go 1.15"
apt-get "${apt_opts[@]}" source -qq --download-only kubernetes
apt-get "${apt_opts[@]}" download -qq golang-1.15-go golang-1.15-src
dpkg-source --no-check -x kubernetes_*.dsc src >/dev/null
for deb in golang-1.15-*.deb; do dpkg -x "$deb" go; done
goroot="$work/go/usr/lib/go-1.15"
[[ -x "$goroot/bin/go" ]] || { echo "Go 1.15 not found in $goroot" >&2; exit 1; }

cd "$work/src"
echo ">> building ${components[*]} (about 9 minutes on 2 cores)"
targets=""
for c in "${components[@]}"; do targets+="cmd/$c "; done
env HOME="$work/home" GOROOT="$goroot" PATH="$goroot/bin:$PATH" CGO_ENABLED=0 GOFLAGS=-mod=vendor \
  KUBE_GIT_VERSION="v$K8S_VERSION" KUBE_GIT_TREE_STATE=clean KUBE_GIT_MAJOR=1 \
  KUBE_GIT_MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)" \
  make WHAT="${targets% }" >"$work/make.log" 2>&1 || { tail -40 "$work/make.log" >&2; exit 1; }
for c in "${components[@]}"; do
  install -m 0755 "_output/local/bin/linux/amd64/$c" "$out/bin/$c"
done
gcc -Os -static -DVERSION=3.2 -o "$out/bin/pause" build/pause/linux/pause.c
strip "$out/bin/pause" || true
"$out/bin/kubeadm" version -o short
cd /
rm -rf "$work"
touch "$out/.complete"
echo "kubernetes $K8S_VERSION binaries built in $out"
