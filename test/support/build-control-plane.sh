#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kubectl from the Go module proxy into a cache
# folder outside the repo, keyed by version, for machines without
# KUBEBUILDER_ASSETS. `--print-folder` only prints where they go. Prints the folder holding the three binaries on its last
# line of stdout; progress goes to stderr.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.36.3}"
# The etcd that k8s.io/kubernetes ${KUBE_VERSION} itself requires (see its go.mod).
ETCD_VERSION="${ETCD_VERSION:-v3.6.8}"
CACHE_ROOT="${APIG_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/apig-cert-operator}"
OUT="$CACHE_ROOT/control-plane/k8s-${KUBE_VERSION}-etcd-${ETCD_VERSION}"

log() { printf '[control-plane] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--print-folder" ]]; then
  echo "$OUT"
  exit 0
fi

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kubectl" && -x "$OUT/etcd" ]]; then
  log "cached binaries in $OUT"
  echo "$OUT"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: no control-plane binaries found (TEST_ASSET_*, KUBEBUILDER_ASSETS or $OUT) and no Go toolchain to build them; install Go or set KUBEBUILDER_ASSETS" >&2
  exit 1
fi

WORK="$CACHE_ROOT/build/k8s-${KUBE_VERSION}"
mkdir -p "$WORK" "$OUT"
cd "$WORK"

minor="${KUBE_VERSION#v1.}"          # 36.3
staging_version="v0.${minor}"         # v0.36.3
major_minor="${KUBE_VERSION#v}"; major_minor="${major_minor%.*}"   # 1.36

log "resolving k8s.io/kubernetes ${KUBE_VERSION} (staging modules at ${staging_version}) and etcd ${ETCD_VERSION}"
# k8s.io/kubernetes requires its staging modules at v0.0.0 with replace
# directives to ./staging, which a consumer cannot use: replace each with the
# published module of the matching version (cluster-autoscaler's recipe).
kube_mod="$(go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')"
{
  echo "module apig-cert-operator/control-plane-build"
  echo
  echo "go $(go env GOVERSION | sed 's/^go//; s/^\([0-9]*\.[0-9]*\).*/\1/')"
  echo
  echo "require ("
  echo "  k8s.io/kubernetes ${KUBE_VERSION}"
  echo "  go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
  echo ")"
  echo
  echo "replace ("
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$kube_mod" | awk -v v="$staging_version" '{print "  " $1 " => " $1 " " v}'
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
log "downloading modules (go mod tidy)"
GOFLAGS=-mod=mod go mod tidy >&2

pkg=k8s.io/component-base/version
ldflags="-s -w -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=1 -X ${pkg}.gitMinor=${major_minor#1.} -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
start=$(date +%s)
for target in kube-apiserver kubectl; do
  log "building ${target} ${KUBE_VERSION} (several minutes on 2 cores)"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OUT/${target}.tmp" "k8s.io/kubernetes/cmd/${target}"
  mv "$OUT/${target}.tmp" "$OUT/${target}"
done
log "building etcd ${ETCD_VERSION}"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
mv "$OUT/etcd.tmp" "$OUT/etcd"
log "built in $(( $(date +%s) - start ))s into $OUT"
echo "$OUT"
