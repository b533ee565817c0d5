#!/usr/bin/env bash
# Build the offline lab bundle (format: docs/DEVELOPING.md) for K8S_VERSION (default 1.36.3) from the Go
# module proxy and Debian's archive, nothing pulled from a container registry:
#   bin/{kubeadm,kubelet,kubectl} (hack/build-kubernetes.sh), bin/crictl (hack/build-go-component.sh)
#   images: every image `kubeadm config images list` names (tags read from kubeadm's constants.go; etcd and
#   CoreDNS built from their modules), flannel, the flannel CNI plugin, metrics-server, the observability and
#   ingress add-ons (hack/build-addon-components.sh: Prometheus, kube-state-metrics, Traefik, VictoriaLogs, the
#   OpenTelemetry Collector), and the lab's own images from Debian packages (docker.io/kubelift/*:lab)
#   manifest.json with every file's sha256
# Output: $KUBELIFT_CACHE/bundles/kubernetes-<version>-<arch>/ (printed on the last line; progress on stderr).
# Cached: rebuilt only when these scripts, a build they use or the base image change. Needs a Docker engine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
K8S_VERSION=${K8S_VERSION:-1.36.3}
export K8S_VERSION=${K8S_VERSION#v}
ARCH=amd64
REPO=${IMAGE_REPOSITORY:-registry.k8s.io}
# Add-on versions, in step with roles/flannel and roles/metrics_server defaults.
FLANNEL_VERSION=0.27.4
METRICS_SERVER_VERSION=0.8.0
# The flannel CNI plugin: github.com/flannel-io/cni-plugin is not on the module proxy; the same plugin was
# in containernetworking/plugins up to v0.9.1 (plugins/meta/flannel). A different build from upstream's image,
# so a tag of its own: the lab sets flannel_cni_plugin_image to it.
CNI_PLUGINS_VERSION=0.9.1
CNI_PLUGIN_IMAGE=ghcr.io/flannel-io/flannel-cni-plugin:v$CNI_PLUGINS_VERSION-kubelift-lab
# Observability and ingress add-ons: PROMETHEUS_VERSION, KSM_VERSION, TRAEFIK_VERSION, VICTORIALOGS_VERSION,
# OTELCOL_VERSION, exported for hack/build-addon-components.sh. The collector is our own build, not upstream's
# distribution: a tag of its own.
# shellcheck source=hack/addon-versions.sh
source "$here/addon-versions.sh"
export PROMETHEUS_VERSION KSM_VERSION TRAEFIK_VERSION VICTORIALOGS_VERSION OTELCOL_VERSION
OTELCOL_IMAGE=docker.io/otel/opentelemetry-collector-k8s:$OTELCOL_VERSION-kubelift-lab
export DOCKER_BUILDKIT=0
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
export GOMODCACHE=${GOMODCACHE:-$KUBELIFT_CACHE/go/mod}
started=$(date +%s)

bundle="$KUBELIFT_CACHE/bundles/kubernetes-$K8S_VERSION-$ARCH"
src="$KUBELIFT_CACHE/kubernetes-$K8S_VERSION/bin"
"$here/build-kubernetes.sh" >&2
"$here/build-base-image.sh" >&2

# Tags kubeadm of this release wants, from its source; checked against the built kubeadm's own list.
k8s_src=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .Dir)
kconst() { sed -nE "s/^\s*$1\s*=\s*\"([^\"]+)\".*/\1/p" "$k8s_src/cmd/kubeadm/app/constants/constants.go"; }
ETCD_TAG=$(kconst DefaultEtcdVersion) DNS_TAG=$(kconst CoreDNSVersion) PAUSE_TAG=$(kconst PauseVersion)
dns_image=$REPO/coredns
[[ $REPO == registry.k8s.io ]] && dns_image+=/coredns
kubeadm_images=()
for c in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do kubeadm_images+=("$REPO/$c:v$K8S_VERSION"); done
kubeadm_images+=("$dns_image:$DNS_TAG" "$REPO/pause:$PAUSE_TAG" "$REPO/etcd:$ETCD_TAG")
listed=$("$src/kubeadm" config images list --kubernetes-version "v$K8S_VERSION" --image-repository "$REPO" 2>/dev/null)
if [[ $(sort <<<"$listed") != $(printf '%s\n' "${kubeadm_images[@]}" | sort) ]]; then
  printf 'kubeadm v%s lists:\n%s\nbut its constants.go gives:\n' "$K8S_VERSION" "$listed" >&2
  printf '  %s\n' "${kubeadm_images[@]}" >&2
  exit 1
fi
echo ">> kubeadm v$K8S_VERSION images: etcd $ETCD_TAG, CoreDNS $DNS_TAG, pause $PAUSE_TAG" >&2

# crictl of the same minor; the proxy lacks some cri-tools releases (v1.35.0), then a neighbouring minor.
minor=$(cut -d. -f2 <<<"$K8S_VERSION")
for v in ${CRICTL_VERSION:-1.$minor.0 1.$((minor - 1)).0 1.$((minor + 1)).0}; do
  go mod download "sigs.k8s.io/cri-tools@v$v" 2>/dev/null && CRICTL_VERSION=$v && break
done
[[ ${CRICTL_VERSION:-} ]] || { echo "no cri-tools release near v1.$minor on the module proxy" >&2; exit 1; }
[[ $CRICTL_VERSION == "1.$minor.0" ]] || echo "note: crictl v$CRICTL_VERSION (v1.$minor.0 is not on the module proxy)" >&2

component() { "$here/build-go-component.sh" "$@"; }
ev=${ETCD_TAG%-*}
etcd=$(component -m "go.etcd.io/etcd/server/v3@v$ev" -m "go.etcd.io/etcd/etcdctl/v3@v$ev" \
  -m "go.etcd.io/etcd/etcdutl/v3@v$ev" -X 'go.etcd.io/etcd/api/v3/version.GitSHA={commit}' etcd "$ev" \
  etcd=go.etcd.io/etcd/server/v3 etcdctl=go.etcd.io/etcd/etcdctl/v3 etcdutl=go.etcd.io/etcd/etcdutl/v3)
coredns=$(component -m "github.com/coredns/coredns@$DNS_TAG" -X 'github.com/coredns/coredns/coremain.GitCommit={commit}' \
  coredns "${DNS_TAG#v}" coredns=github.com/coredns/coredns)
crictl=$(component -m "sigs.k8s.io/cri-tools@v$CRICTL_VERSION" -X 'sigs.k8s.io/cri-tools/pkg/version.Version=v{version}' \
  crictl "$CRICTL_VERSION" crictl=sigs.k8s.io/cri-tools/cmd/crictl)
# flanneld needs cgo on amd64 (its udp backend); upstream links it statically too.
flannel=$(component -c -m "github.com/flannel-io/flannel@v$FLANNEL_VERSION" \
  -X 'github.com/flannel-io/flannel/pkg/version.Version=v{version}' flannel "$FLANNEL_VERSION" flanneld=github.com/flannel-io/flannel)
cni=$(component -m "github.com/containernetworking/plugins@v$CNI_PLUGINS_VERSION" \
  -X 'github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=v{version}' \
  flannel-cni-plugin "$CNI_PLUGINS_VERSION" flannel=github.com/containernetworking/plugins/plugins/meta/flannel)
ms=$(component -m "sigs.k8s.io/metrics-server@v$METRICS_SERVER_VERSION" -X 'k8s.io/client-go/pkg/version.gitVersion=v{version}' \
  -X 'k8s.io/client-go/pkg/version.gitCommit={commit}' -X 'k8s.io/client-go/pkg/version.buildDate={date}' \
  metrics-server "$METRICS_SERVER_VERSION" metrics-server=sigs.k8s.io/metrics-server/cmd/metrics-server)
declare -A addon
while IFS='=' read -r key dir; do addon[$key]=$dir; done < <("$here/build-addon-components.sh")
[[ ${#addon[@]} -eq 5 ]] || { echo "hack/build-addon-components.sh did not build every add-on" >&2; exit 1; }
echo "note: the flannel CNI plugin image is $CNI_PLUGIN_IMAGE (containernetworking/plugins v$CNI_PLUGINS_VERSION)," \
  "not upstream's flannel-cni-plugin: set flannel_cni_plugin_image to it" >&2

stamp=$( (cat "$0" "$here/build-go-component.sh" "$here/build-addon-components.sh" "$here/addon-versions.sh" | sha256sum; cat "$KUBELIFT_CACHE/kubernetes-$K8S_VERSION/.complete"
          ls -l --time-style=+%s "$src"; cat "$etcd/.complete" "$coredns/.complete" "$crictl/.complete" \
          "$flannel/.complete" "$cni/.complete" "$ms/.complete"; for d in "${addon[@]}"; do cat "$d/.complete"; done
          echo "$REPO $ETCD_TAG $DNS_TAG $PAUSE_TAG"
          docker image inspect -f '{{ .Id }}' kubelift/debian:bookworm) | sha256sum | cut -c1-16)
if [[ -f "$bundle/manifest.json" && "$(cat "$bundle/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  echo "lab bundle up to date ($(($(date +%s) - started)) s)" >&2
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
install -m 0755 "$crictl/bin/crictl" "$bundle/bin/crictl"

image() { # full-name dockerfile-body [files...]: build, then save as images/<name below $REPO or full>_<tag>.tar
  local full=$1 body=$2 dir file
  shift 2
  dir="$ctx/$(tr -c 'a-z0-9\n' _ <<<"$full")"
  mkdir -p "$dir"
  [[ $# -gt 0 ]] && cp "$@" "$dir/"
  printf '%s\n' "$body" >"$dir/Dockerfile"
  echo ">> image $full" >&2
  if ! docker build -q -t "$full" "$dir" >/dev/null 2>"$ctx/build.log"; then
    cat "$ctx/build.log" >&2
    exit 1
  fi
  file=${full#"$REPO/"}
  file=${file%:*}
  file=${file//\//+}
  docker save -o "$bundle/images/${file//:/-}_${full##*:}.tar" "$full"
}

# Control-plane components are static binaries: an image holding just the binary is enough.
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  image "$REPO/$c:v$K8S_VERSION" "FROM scratch
ENV PATH=/usr/local/bin:/usr/bin:/bin
COPY $c /usr/local/bin/$c
ENTRYPOINT [\"/usr/local/bin/$c\"]" "$src/$c"
done
image "$REPO/pause:$PAUSE_TAG" "FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT [\"/pause\"]" "$src/pause"
# kube-proxy programs iptables and conntrack: it needs those tools beside it.
image "$REPO/kube-proxy:v$K8S_VERSION" "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends iptables ipset conntrack kmod \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY kube-proxy /usr/local/bin/kube-proxy
ENTRYPOINT [\"/usr/local/bin/kube-proxy\"]" "$src/kube-proxy"
# etcd as upstream ships it: etcd, etcdctl, etcdutl in /usr/local/bin (kubeadm's static pod runs `etcd`).
image "$REPO/etcd:$ETCD_TAG" "FROM scratch
ENV PATH=/usr/local/bin
COPY etcd etcdctl etcdutl /usr/local/bin/
CMD [\"/usr/local/bin/etcd\"]" "$etcd/bin/etcd" "$etcd/bin/etcdctl" "$etcd/bin/etcdutl"
# CoreDNS as upstream's image: /coredns with cap_net_bind_service=+ep (port 53 as nonroot, 65532). COPY
# drops file capabilities (docker 20.10); ADD of a tar carrying the xattr keeps them.
python3 - "$coredns/bin/coredns" "$ctx/coredns.tar" <<'PY'
import struct, sys, tarfile
cap = struct.pack("<5I", 0x02000001, 1 << 10, 0, 0, 0)  # vfs_cap_data v2, effective: CAP_NET_BIND_SERVICE
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as t, open(sys.argv[1], "rb") as f:
    info = t.gettarinfo(sys.argv[1], arcname="coredns")
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.pax_headers = {"SCHILY.xattr.security.capability": cap.decode("latin-1")}
    t.addfile(info, f)
PY
image "$dns_image:$DNS_TAG" "FROM kubelift/debian:bookworm AS certs
FROM scratch
COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
ADD coredns.tar /
USER 65532:65532
EXPOSE 53 53/udp
ENTRYPOINT [\"/coredns\"]" "$ctx/coredns.tar"
image "$REPO/metrics-server/metrics-server:v$METRICS_SERVER_VERSION" "FROM scratch
COPY metrics-server /metrics-server
USER 65534
ENTRYPOINT [\"/metrics-server\"]" "$ms/bin/metrics-server"
# flanneld: iptables for --ip-masq and its forward rules (vxlan itself is netlink), iproute2 as upstream's.
image "ghcr.io/flannel-io/flannel:v$FLANNEL_VERSION" "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends iptables iproute2 \\
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
COPY flanneld /opt/bin/flanneld
ENTRYPOINT [\"/opt/bin/flanneld\"]" "$flannel/bin/flanneld"

# Lab test image: a static busybox (Debian's busybox-static) for HTTP checks between pods. Lab-only images
# are named docker.io/kubelift/*; the lab mirrors docker.io to its registry.
image docker.io/kubelift/busybox:lab "FROM kubelift/debian:bookworm AS src
RUN apt-get update && apt-get install -y --no-install-recommends busybox-static
FROM scratch
COPY --from=src /bin/busybox /bin/busybox
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]
ENV PATH=/bin
CMD [\"/bin/sh\"]"
# The flannel DaemonSet's init container runs `cp -f /flannel /host/cni-bin/flannel`: busybox gives it cp.
image "$CNI_PLUGIN_IMAGE" "FROM docker.io/kubelift/busybox:lab
COPY flannel /flannel" "$cni/bin/flannel"
# node-exporter and Alertmanager from Debian's packages, for the monitoring add-on in the lab.
image docker.io/kubelift/node-exporter:lab "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus-node-exporter \\
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT [\"/usr/bin/prometheus-node-exporter\"]"
image docker.io/kubelift/alertmanager:lab "FROM kubelift/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus-alertmanager \\
 && rm -rf /var/lib/apt/lists/* && mkdir -p /alertmanager && chown nobody:nogroup /alertmanager
USER nobody
WORKDIR /alertmanager
ENTRYPOINT [\"/usr/bin/prometheus-alertmanager\"]"

# Observability and ingress add-ons under their upstream names and tags, laid out as upstream's images are
# (binary paths, users), so the roles' defaults run them unchanged. CA certificates for the ones that call out.
certs="COPY --from=certs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/"
image "docker.io/prom/prometheus:v$PROMETHEUS_VERSION" "FROM kubelift/debian:bookworm AS certs
RUN mkdir -p /prometheus && chown 65534:65534 /prometheus
FROM scratch
$certs
COPY --from=certs --chown=65534:65534 /prometheus /prometheus
COPY prometheus promtool /bin/
USER 65534
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT [\"/bin/prometheus\"]
CMD [\"--config.file=/etc/prometheus/prometheus.yml\", \"--storage.tsdb.path=/prometheus\"]" \
  "${addon[prometheus]}/bin/prometheus" "${addon[prometheus]}/bin/promtool"
image "registry.k8s.io/kube-state-metrics/kube-state-metrics:v$KSM_VERSION" "FROM scratch
COPY kube-state-metrics /kube-state-metrics
USER 65534
EXPOSE 8080 8081
ENTRYPOINT [\"/kube-state-metrics\", \"--port=8080\", \"--telemetry-port=8081\"]" "${addon[kube-state-metrics]}/bin/kube-state-metrics"
image "docker.io/library/traefik:v$TRAEFIK_VERSION" "FROM kubelift/debian:bookworm AS certs
FROM scratch
$certs
COPY traefik /usr/local/bin/traefik
EXPOSE 80
ENTRYPOINT [\"/usr/local/bin/traefik\"]" "${addon[traefik]}/bin/traefik"
image "docker.io/victoriametrics/victoria-logs:v$VICTORIALOGS_VERSION" "FROM kubelift/debian:bookworm AS certs
FROM scratch
$certs
COPY victoria-logs /victoria-logs-prod
EXPOSE 9428
ENTRYPOINT [\"/victoria-logs-prod\"]" "${addon[victorialogs]}/bin/victoria-logs"
image "$OTELCOL_IMAGE" "FROM kubelift/debian:bookworm AS certs
FROM scratch
$certs
COPY otelcol-k8s /otelcol-k8s
USER 10001
EXPOSE 4317 4318 13133
ENTRYPOINT [\"/otelcol-k8s\"]" "${addon[otelcol]}/bin/otelcol-k8s"

python3 - "$bundle" "$K8S_VERSION" "$ARCH" "$REPO" "${kubeadm_images[@]}" <<'PY'
import hashlib, json, pathlib, sys, tarfile
root, version, arch, repo, kubeadm = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
def image_name(p):
    # The name the archive carries (docker save's RepoTags), any registry. Its file name is
    # <path below repo>_<tag>.tar for images under repo, else <full name>_<tag>.tar, with / as + and : as -.
    with tarfile.open(p) as t:
        (name,) = json.load(t.extractfile("manifest.json"))[0]["RepoTags"]
    path, tag = name.rsplit(":", 1)
    first = path.split("/")[0]
    if "/" not in path or not ("." in first or ":" in first or first == "localhost"):
        path = ("docker.io/" if "/" in path else "docker.io/library/") + path  # docker save drops docker.io/
    name = "%s:%s" % (path, tag)
    path = path[len(repo) + 1:] if path.startswith(repo + "/") else path
    assert p.name == "%s_%s.tar" % (path.replace("/", "+").replace(":", "-"), tag), (p.name, name)
    return name
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
missing = set(kubeadm) - {i["name"] for i in manifest["images"]}
assert not missing, "kubeadm's images missing from the bundle: %s" % sorted(missing)
(root / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
PY
echo "$stamp" >"$bundle/.stamp"
rm -rf "$final"
mv "$bundle" "$final"
echo "lab bundle built: $(du -sh "$final" | cut -f1) in $(($(date +%s) - started)) s" >&2
echo "$final"
