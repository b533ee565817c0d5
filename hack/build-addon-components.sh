#!/usr/bin/env bash
# Build the observability and ingress add-ons of the lab bundle from the Go module proxy
# (hack/build-go-component.sh, cached in $KUBELIFT_CACHE/go-components): Prometheus with promtool,
# kube-state-metrics, Traefik v3, VictoriaLogs and the OpenTelemetry Collector log agent (hack/images/otelcol).
# Alertmanager is not among them: its module embeds a web UI (ui/app/dist) that its module zip lacks, so the lab
# runs Debian's package (prometheus-alertmanager) instead.
#   hack/build-addon-components.sh [NAME...]   (names: prometheus kube-state-metrics victorialogs traefik otelcol;
#                                                none: all of them)
# Versions: hack/addon-versions.sh. Prints NAME=DIR lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/addon-versions.sh
source "$here/addon-versions.sh"
only=" $* "
# component NAME-KEY args...: build when asked for, then print KEY=DIR (a failed build stops the script).
component() {
  local key=$1 dir
  shift
  [[ $only == "  " || $only == *" $key "* ]] || return 0
  dir=$("$here/build-go-component.sh" "$@")
  echo "$key=$dir"
}
common=github.com/prometheus/common/version
stamp_prom=(-X "$common.Version={version}" -X "$common.Revision={commit}" -X "$common.Branch=HEAD"
            -X "$common.BuildUser=kubelift" -X "$common.BuildDate={date}")
prom_minor=${PROMETHEUS_VERSION#3.}
component prometheus -m "github.com/prometheus/prometheus@v0.3${prom_minor%%.*}.${prom_minor#*.}" "${stamp_prom[@]}" \
  prometheus "$PROMETHEUS_VERSION" prometheus=github.com/prometheus/prometheus/cmd/prometheus \
  promtool=github.com/prometheus/prometheus/cmd/promtool
component kube-state-metrics -m "k8s.io/kube-state-metrics/v2@v$KSM_VERSION" "${stamp_prom[@]}" \
  kube-state-metrics "$KSM_VERSION" kube-state-metrics=k8s.io/kube-state-metrics/v2
component victorialogs -m "github.com/VictoriaMetrics/VictoriaLogs@v$VICTORIALOGS_VERSION" \
  -X 'github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-v{version}' \
  victorialogs "$VICTORIALOGS_VERSION" victoria-logs=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs
# Traefik's own go.mod replaces a nested module by its directory and three dependencies by forks: the build module
# repeats them. (3.7 needs a fork release and cloud SDKs of its ACME DNS providers that the module proxy refuses.)
component traefik -m "github.com/traefik/traefik/v3@v$TRAEFIK_VERSION" \
  -r 'github.com/traefik/traefik/dynamic/ext => {moddir}/pkg/config/dynamic/ext' \
  -r 'github.com/abbot/go-http-auth => github.com/containous/go-http-auth v0.4.1-0.20200324110947-a37a7636d23e' \
  -r 'github.com/gorilla/mux => github.com/containous/mux v0.0.0-20250523120546-41b6ec3aed59' \
  -r 'github.com/mailgun/minheap => github.com/containous/minheap v0.0.0-20190809180810-6e71eb837595' \
  -X 'github.com/traefik/traefik/v3/pkg/version.Version={version}' \
  -X 'github.com/traefik/traefik/v3/pkg/version.Codename=kubelift' \
  -X 'github.com/traefik/traefik/v3/pkg/version.BuildDate={date}' \
  traefik "$TRAEFIK_VERSION" traefik=github.com/traefik/traefik/v3/cmd/traefik
# The collector's core modules are tagged v1.x (stable) or v0.x (beta); contrib's stable ones v1.x too. The
# Kubernetes attributes processor of contrib 0.165 (v1.4.x) needs an unreleased go.opentelemetry.io/otel the module
# proxy does not serve, and contrib 0.164's stanza package is refused: 0.165 with the processor of 0.164 (v1.3.1).
contrib=github.com/open-telemetry/opentelemetry-collector-contrib
core=go.opentelemetry.io/collector
beta=v0.${OTELCOL_VERSION#0.}
beta=${beta%.*}.0
component otelcol -s "$here/images/otelcol" -m "$contrib/receiver/filelogreceiver@v$OTELCOL_VERSION" \
  -m "$contrib/processor/k8sattributesprocessor@${OTELCOL_K8SATTRIBUTES_VERSION:-v1.3.1}" \
  -m "$contrib/internal/kubelet@v$OTELCOL_VERSION" \
  -m "$contrib/extension/healthcheckextension@v$OTELCOL_VERSION" \
  -m "$contrib/extension/storage/filestorage@v$OTELCOL_VERSION" \
  -m "$core/otelcol@$beta" -m "$core/exporter/otlphttpexporter@$beta" -m "$core/exporter/debugexporter@$beta" \
  -m "$core/processor/batchprocessor@$beta" -m "$core/processor/memorylimiterprocessor@$beta" \
  -X 'main.version={version}' otelcol "$OTELCOL_VERSION" otelcol-k8s=.
