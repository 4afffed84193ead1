#!/usr/bin/env bash
# Builds test/support/cert-manager (cert-manager's controllers wired from its
# library packages) into a cache folder outside the repo, keyed by a hash of
# go.mod, go.sum and main.go, and copies cert-manager's CRDs (the module's
# deploy/crds) beside it. Prints that folder on the last line of stdout;
# progress goes to stderr. `--print-folder` only prints where it goes.
# Go's module and build caches (outside the repo) make a rebuild after a
# change to main.go take seconds rather than minutes.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
CACHE_ROOT="${APIG_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/apig-cert-operator}"
key="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
OUT="$CACHE_ROOT/cert-manager/$key"

log() { printf '[cert-manager] %s\n' "$*" >&2; }

if [[ "${1:-}" == "--print-folder" ]]; then
  echo "$OUT"
  exit 0
fi

if [[ -x "$OUT/cert-manager-controller" && -f "$OUT/crds/cert-manager.io_certificates.yaml" ]]; then
  log "cached build in $OUT"
  echo "$OUT"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: no cert-manager build in $OUT and no Go toolchain to build it; install Go, then run: bash test/support/cert-manager/build.sh" >&2
  exit 1
fi

cd "$here"
start=$(date +%s)
log "downloading the modules go.sum names (github.com/cert-manager/cert-manager and its dependencies)"
go mod download
version="$(go list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)"
mod_dir="$(go list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)"
if [[ ! -f "$mod_dir/deploy/crds/cert-manager.io_certificates.yaml" ]]; then
  echo "error: $mod_dir/deploy/crds has no cert-manager.io_certificates.yaml" >&2
  exit 1
fi
mkdir -p "$OUT"
tmp="$(mktemp -d "$OUT/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
log "building cert-manager-controller against cert-manager $version (about 6-10 minutes on 2 cores when Go's caches are cold)"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/cert-manager-controller" .
mkdir -p "$tmp/crds"
cp "$mod_dir"/deploy/crds/*.yaml "$tmp/crds/"
chmod u+w "$tmp/crds"/*.yaml
rm -rf "$OUT/crds"
mv "$tmp/crds" "$OUT/crds"
mv "$tmp/cert-manager-controller" "$OUT/cert-manager-controller"
log "built in $(( $(date +%s) - start ))s into $OUT"
echo "$OUT"
