#!/usr/bin/env bash
# Build Go commands from the Go module proxy with the machine's Go, the way hack/build-kubernetes.sh builds
# Kubernetes: a small build module requires the modules at their versions and lists the commands as `tool`
# directives. The required modules' own replace directives do not apply there (only a main module's do), so
# this also builds modules that `go install mod@version` refuses.
#   hack/build-go-component.sh [-m MODULE@VERSION]... [-r OLD=>NEW]... [-s DIR] [-X IMPORTPATH.VAR=VALUE]... [-c]
#                              NAME VERSION BIN=PACKAGE...
#   -m  require a module (repeatable; the first one is the project: its go directive and commit are used)
#   -r  a replace directive the project's own go.mod has (they do not apply in a build module); {moddir} in
#       NEW is the first module's directory in the module cache
#   -s  a directory of our own Go sources (a main package) copied into the build module: PACKAGE `.` builds it
#   -X  stamp a variable (go build -ldflags -X); {version} is VERSION, {commit} the first module's commit
#       when the proxy names it (else its version), {date} the build date (SOURCE_DATE_EPOCH or now)
#   -c  cgo on, linked statically (needs gcc and libc6-dev); CGO_ENABLED=0 otherwise
# Output: $KUBELIFT_CACHE/go-components/NAME-VERSION/bin/BIN, its path the only line on stdout; progress on
# stderr. Cached by NAME, VERSION, the arguments and this script's content.
set -euo pipefail
KUBELIFT_CACHE=${KUBELIFT_CACHE:-/var/cache/kubelift}
modules=() stamps=() replaces=() srcdir='' cgo=0
while getopts m:r:s:X:c opt; do
  case $opt in
    m) modules+=("$OPTARG") ;;
    r) replaces+=("$OPTARG") ;;
    s) srcdir=$(cd "$OPTARG" && pwd) ;;
    X) stamps+=("$OPTARG") ;;
    c) cgo=1 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -ge 3 && ${#modules[@]} -gt 0 ]] || { sed -n '6,14p' "$0" >&2; exit 2; }
name=$1 version=$2
shift 2
out="$KUBELIFT_CACHE/go-components/$name-$version"
stamp=$( (cat "$0"; printf '%s\n' "$cgo" "${modules[@]}" "${replaces[@]}" "${stamps[@]}" "$@"
          [[ -z $srcdir ]] || (cd "$srcdir" && find . -type f -print0 | sort -z | xargs -0 sha256sum)) | sha256sum | cut -c1-16)
if [[ -f "$out/.complete" && "$(cat "$out/.complete")" == "$stamp" ]]; then
  echo ">> $name $version: cached in $out" >&2
  echo "$out"
  exit 0
fi
t0=$(date +%s)
command -v go >/dev/null || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "go is missing: install Go (>= 1.26) or put it on PATH" >&2; exit 1; }

export GOMODCACHE=${GOMODCACHE:-$KUBELIFT_CACHE/go/mod}
export GOCACHE=${GOCACHE:-$KUBELIFT_CACHE/go/build}
export GOFLAGS="-mod=mod -buildvcs=false" GOOS=linux GOARCH=amd64 CGO_ENABLED=$cgo
work="$KUBELIFT_CACHE/build/go-$name-$version"
rm -rf "$work" "$out"
mkdir -p "$work" "$out/bin"
cd "$work"

echo ">> $name $version: fetching ${modules[*]} from the Go module proxy" >&2
info=$(go mod download -json "${modules[0]}") || { echo "$info" >&2; exit 1; }
commit=$(jq -r '.Origin.Hash // empty' <<<"$info")
go_line=$(sed -nE 's/^go ([0-9.]+).*/\1/p' "$(jq -r .GoMod <<<"$info")")
# `tool` directives need go >= 1.24 in the build module; an older project gets that.
go_line=$(printf '%s\n' "${go_line:-1.24}" 1.24 | sort -V | tail -1)
moddir=$(jq -r .Dir <<<"$info")
[[ -z $srcdir ]] || cp -r "$srcdir"/. .
{
  printf 'module kubelift.local/build/%s\n\ngo %s\n\n' "$name" "$go_line"
  for m in "${modules[@]}"; do echo "require ${m%@*} ${m##*@}"; done
  for r in "${replaces[@]}"; do echo "replace ${r//\{moddir\}/$moddir}"; done
  for b in "$@"; do [[ ${b#*=} == . ]] || echo "tool ${b#*=}"; done
} >go.mod
# -e: a module only the tests of some dependency import may be one the proxy refuses; what the commands need is
# still resolved here, and a package that cannot be had fails the build below.
go mod tidy -e >tidy.log 2>&1 || { tail -30 tidy.log >&2; exit 1; }

date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)
commit=${commit:-$(cut -d@ -f2 <<<"${modules[0]}")}
ldflags="-s -w"
for s in "${stamps[@]}"; do
  s=${s//\{version\}/$version} s=${s//\{commit\}/$commit}
  ldflags+=" -X ${s//\{date\}/$date}"
done
tags=()
if [[ $cgo == 1 ]]; then
  ldflags+=" -extldflags -static"
  tags=(-tags 'netgo,osusergo')  # no cgo resolver or user lookup in a static binary
fi
for b in "$@"; do
  started=$(date +%s)
  echo ">> $name $version: building ${b%%=*} (${b#*=})" >&2
  go build -trimpath "${tags[@]}" -ldflags "$ldflags" -o "$out/bin/${b%%=*}" "${b#*=}" 2>"build.log" \
    || { tail -30 build.log >&2; exit 1; }
  echo "   ${b%%=*}: $(($(date +%s) - started)) s, $(du -h "$out/bin/${b%%=*}" | cut -f1)" >&2
done
cp go.mod go.sum "$out/"
cd /
rm -rf "$work"
echo "$stamp" >"$out/.complete"
echo ">> $name $version: built in $(($(date +%s) - t0)) s (fetching and resolving included)" >&2
echo "$out"
