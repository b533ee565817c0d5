# Versions of the observability and ingress add-ons the lab bundle builds, in step with the monitoring, logging and
# traefik roles' image defaults. Sourced by hack/build-addon-components.sh and hack/build-lab-bundle.sh; a value
# already in the environment wins.
# shellcheck shell=bash
: "${PROMETHEUS_VERSION:=3.16.0}"   # Prometheus 3.x is the Go module v0.3<minor>.<patch>
: "${KSM_VERSION:=2.20.0}"
: "${TRAEFIK_VERSION:=3.6.12}"
: "${VICTORIALOGS_VERSION:=1.52.2}"
# The log agent: our own OpenTelemetry Collector build (hack/images/otelcol) from this contrib release, with only
# the components the logging role configures (hack/build-lab-bundle.sh tags its image <version>-kubelift-lab).
: "${OTELCOL_VERSION:=0.165.1}"
