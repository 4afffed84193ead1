#!/usr/bin/env bash
# Builds the helm binary from the Go module proxy into a cache folder outside
# the repo, keyed by version, as build-control-plane.sh does for the control
# plane: the chart's tests need the real Helm, and no release download is
# reachable from CI. `--print-folder` only prints where it goes. Prints the
# folder holding `helm` on its last line of stdout; progress goes to stderr.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v4.3.1}"
CACHE_ROOT="${APIG_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/apig-cert-operator}"
OUT="$CACHE_ROOT/helm/helm-${HELM_VERSION}"

log() { printf '[helm] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--print-folder" ]]; then
  echo "$OUT"
  exit 0
fi

if [[ -x "$OUT/helm" ]]; then
  log "cached helm in $OUT"
  echo "$OUT"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: no helm found in $OUT and no Go toolchain to build it; install Go or set HELM_BINARY" >&2
  exit 1
fi

mkdir -p "$OUT"
start=$(date +%s)
log "building helm ${HELM_VERSION} from helm.sh/helm/v4 (a few minutes on 2 cores)"
# The version is stamped the way Helm's own Makefile does, so `helm version`
# names the release instead of "main".
pkg=helm.sh/helm/v4/internal/version
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath \
  -ldflags "-s -w -X ${pkg}.version=${HELM_VERSION} -X ${pkg}.gitTreeState=clean" \
  "helm.sh/helm/v4/cmd/helm@${HELM_VERSION}"
mv "$tmp/helm" "$OUT/helm"
log "built in $(( $(date +%s) - start ))s into $OUT"
echo "$OUT"
