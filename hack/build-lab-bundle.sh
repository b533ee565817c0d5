#!/usr/bin/env bash
# Build the offline lab bundle (format: docs/DEVELOPING.md) from Debian's Kubernetes v1.20.2 source
# build (hack/build-kubernetes.sh) and images made from those binaries and Debian packages:
#   bin/{kubeadm,kubelet,kubectl}
#   images/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,pause,etcd}_<tag>.tar
#   manifest.json with every file's sha256
# Output: $KUBELIFT_CACHE/bundles/kubernetes-<version>-<arch>/ (printed on the last line). Cached: rebuilt
# only when this script or the Kubernetes build changes. Needs a Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
K8S_VERSION=${K8S_VERSION:-1.20.2}
ARCH=amd64
REPO=${IMAGE_REPOSITORY:-registry.k8s.io}
# Tags kubeadm v1.20.2 expects for its images.
PAUSE_TAG=3.2
ETCD_TAG=3.4.13-0

bundle="$KUBELIFT_CACHE/bundles/kubernetes-$K8S_VERSION-$ARCH"
src="$KUBELIFT_CACHE/kubernetes-$K8S_VERSION/bin"

"$here/build-kubernetes.sh" >&2
"$here/build-base-image.sh" >&2
stamp=$( (sha256sum <"$0"; cat "$KUBELIFT_CACHE/kubernetes-$K8S_VERSION/.complete"; ls -l --time-style=+%s "$src";
          docker image inspect -f '{{ .Id }}' kubelift/debian:bookworm) | sha256sum | cut -c1-16)
if [[ -f "$bundle/manifest.json" && "$(cat "$bundle/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "lab bundle up to date" >&2
  echo "$bundle"
  exit 0
fi

final=$bundle
bundle="$final.tmp"
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/images"
ctx=$(mktemp -d)
trap 'rm -rf "$ctx" "$bundle"' EXIT

for b in kubeadm kubelet kubectl; do
  install -m 0755 "$src/$b" "$bundle/bin/$b"
done

build() { # name tag dockerfile-body [files...]
  local name=$1 tag=$2 body=$3
  shift 3
  local dir="$ctx/$name"
  mkdir -p "$dir"
  [[ $# -gt 0 ]] && cp "$@" "$dir/"
  printf '%s\n' "$body" >"$dir/Dockerfile"
  echo ">> image $REPO/$name:$tag" >&2
  if ! docker build -q -t "$REPO/$name:$tag" "$dir" >/dev/null 2>"$ctx/build.log"; then
    cat "$ctx/build.log" >&2
    exit 1
  fi
  docker save -o "$bundle/images/${name}_$tag.tar" "$REPO/$name:$tag"
}

# Control-plane components are static binaries: an image holding just the binary is enough.
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  build "$c" "v$K8S_VERSION" "FROM scratch
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY $c /usr/local/bin/$c
ENTRYPOINT [\"/usr/local/bin/$c\"]" "$src/$c"
done
build pause "$PAUSE_TAG" "FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT [\"/pause\"]" "$src/pause"
# kube-proxy programs iptables and conntrack: it needs those tools beside it.
build kube-proxy "v$K8S_VERSION" "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends iptables ipset conntrack kmod \\
 && rm -rf /var/lib/apt/lists/*
COPY kube-proxy /usr/local/bin/kube-proxy
ENTRYPOINT [\"/usr/local/bin/kube-proxy\"]" "$src/kube-proxy"
# etcd comes from Debian's etcd-server (3.4.23, dynamically linked) under the tag kubeadm expects.
build etcd "$ETCD_TAG" "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends etcd-server \\
 && rm -rf /var/lib/apt/lists/* && ln -s /usr/bin/etcd /usr/local/bin/etcd"

# Lab test image: a static busybox (Debian's busybox-static) for HTTP checks between pods. Lab-only images
# are named docker.io/kubelift/*; the lab mirrors docker.io to its registry.
build_named() { # full-name file-stem dockerfile-body
  local full=$1 stem=$2 body=$3 dir="$ctx/$2"
  mkdir -p "$dir"
  printf '%s\n' "$body" >"$dir/Dockerfile"
  echo ">> image $full" >&2
  if ! docker build -q -t "$full" "$dir" >/dev/null 2>"$ctx/build.log"; then
    cat "$ctx/build.log" >&2
    exit 1
  fi
  docker save -o "$bundle/images/$stem.tar" "$full"
}
build_named docker.io/kubelift/busybox:lab kubelift-busybox_lab "FROM kubelift/debian:bookworm AS src
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static
FROM scratch
COPY --from=src /bin/busybox /bin/busybox
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]
ENV PATH=/bin
CMD [\"/bin/sh\"]"
# Monitoring images from Debian's packages, for the monitoring add-on in the lab.
build_named docker.io/kubelift/prometheus:lab kubelift-prometheus_lab "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
ENTRYPOINT [\"/usr/bin/prometheus\"]"
build_named docker.io/kubelift/node-exporter:lab kubelift-node-exporter_lab "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus-node-exporter \\
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT [\"/usr/bin/prometheus-node-exporter\"]"
build_named docker.io/kubelift/alertmanager:lab kubelift-alertmanager_lab "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus-alertmanager \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /alertmanager && chown nobody:nogroup /alertmanager
USER nobody
WORKDIR /alertmanager
ENTRYPOINT [\"/usr/bin/prometheus-alertmanager\"]"

python3 - "$bundle" "$K8S_VERSION" "$ARCH" "$REPO" <<'PY'
import hashlib, json, pathlib, sys
root, version, arch, repo = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
def image_name(p):
    # <name>_<tag>.tar holds <repo>/<name>:<tag>; kubelift-<name>_<tag>.tar the lab's docker.io/kubelift/<name>:<tag>
    name, tag = p.stem.rsplit("_", 1)
    if name.startswith("kubelift-"):
        return f"docker.io/kubelift/{name[len('kubelift-'):]}:{tag}"
    return f"{repo}/{name}:{tag}"
manifest = {
    "format": 1,
    "kubernetes_version": version,
    "arch": arch,
    "image_repository": repo,
    "binaries": {p.name: {"file": f"bin/{p.name}", "sha256": sha(p)} for p in sorted((root / "bin").iterdir())},
    "images": [
        {"name": image_name(p), "file": f"images/{p.name}", "sha256": sha(p)}
        for p in sorted((root / "images").glob("*.tar"))
    ],
}
(root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "$stamp" >"$bundle/.stamp"
rm -rf "$final"
mv "$bundle" "$final"
echo "lab bundle built: $(du -sh "$final" | cut -f1)" >&2
echo "$final"
