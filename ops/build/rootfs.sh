#!/usr/bin/env bash
# The whole filesystem of every jobsys image but its /app, assembled in /rootfs by ops/build/Dockerfile's
# rootfs stage (Debian, root) and copied into an image FROM scratch: the Node binary, exactly the
# shared libraries it links as ldd resolves them in this Debian, the CA bundle, the user, and the
# package metadata of what was copied. Nothing else: no shell, no coreutils, no apt or dpkg.
# docs/images.md lists the result.
set -euo pipefail

ROOTFS=/rootfs
NODE=/usr/local/bin/node
# Where uid 10001 runs: the chart's securityContext and every deployment name this uid.
UID_GID=10001

fail() { printf 'rootfs: %s\n' "$*" >&2; exit 1; }

mkdir -p "$ROOTFS"
cp --parents -a "$NODE" "$ROOTFS"

# ldd names each library by the path the loader opens (for libstdc++, /lib/x86_64-linux-gnu/…,
# the soname link) and the loader by the binary's PT_INTERP: copied there as files (-L), the loader
# finds them in its built-in search path with no ld.so.cache. linux-vdso has no file: the kernel maps it.
ldd_out="$(ldd "$NODE")"
if grep -q 'not found' <<<"$ldd_out"; then fail "$NODE needs a library this stage lacks:"$'\n'"$ldd_out"; fi
mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_out")
(( ${#libs[@]} > 0 )) || fail "ldd named no library for $NODE:"$'\n'"$ldd_out"
for lib in "${libs[@]}"; do cp -L --parents "$lib" "$ROOTFS"; done

# Node's own CA store (built in) is what it uses by default. The Debian bundle is for
# NODE_EXTRA_CA_CERTS's neighbours: --use-openssl-ca, and tools pointed at the usual path. This
# Node's OpenSSL has OPENSSLDIR /etc/ssl, so its default file is /etc/ssl/cert.pem: linked to the
# bundle, as no hashed certs/ directory is copied.
install -D -m 644 /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
ln -s certs/ca-certificates.crt "$ROOTFS/etc/ssl/cert.pem"

# Names for root and for the uid the services run as: getpwuid (os.userInfo) and `ps` on the host
# need an entry, and nothing may log in (no shell exists to log in to).
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\njobsys:x:%s:%s:jobsys:/nonexistent:/usr/sbin/nologin\n' "$UID_GID" "$UID_GID" >"$ROOTFS/etc/passwd"
printf 'root:x:0:\njobsys:x:%s:\n' "$UID_GID" >"$ROOTFS/etc/group"
# Without this file glibc asks DNS before /etc/hosts, so names the engine writes there (Compose's
# extra_hosts, host.docker.internal) would go to DNS first and could fail. glibc 2.36 has the files
# and dns services built in: no libnss_* to copy.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
# The files of the kernel's tmpfs that the deployments mount here; a plain `docker run` without
# one still gets a writable /tmp (unless the root is read-only, as in every deployment).
install -d -m 1777 "$ROOTFS/tmp"

# What a vulnerability scanner needs to see Debian's packages in an image without dpkg: the
# release, and each copied package's status entry in status.d/, the layout distroless images use
# and Trivy and Grype read. Their copyright files go along, as the licences ask.
cp -L /etc/os-release "$ROOTFS/etc/os-release"
owner() {
  # dpkg knows a file by the path its package ships, which merged /usr may have moved: try both.
  dpkg-query --search "$1" 2>/dev/null || dpkg-query --search "$(readlink -f "$1")" 2>/dev/null || fail "no Debian package owns $1"
}
mapfile -t packages < <({ for lib in "${libs[@]}"; do owner "$lib"; done; echo ca-certificates; } | cut -d: -f1 | sort -u)
copyright_of() {
  local dependency
  if [[ -f "/usr/share/doc/$1/copyright" ]]; then echo "/usr/share/doc/$1/copyright"; return; fi
  # Debian's gcc libraries ship their doc directory as a link to gcc-N-base's, a dependency, and
  # -slim drops the link: the copyright is that of the dependency that has one.
  for dependency in $(dpkg-query --show --showformat '${Depends}' "$1" | tr ',|' '\n\n' | awk '{ print $1 }'); do
    if [[ -f "/usr/share/doc/$dependency/copyright" ]]; then echo "/usr/share/doc/$dependency/copyright"; return; fi
  done
  fail "no copyright file for $1"
}
install -d "$ROOTFS/var/lib/dpkg/status.d"
for package in "${packages[@]}"; do
  dpkg-query --status "$package" >"$ROOTFS/var/lib/dpkg/status.d/$package"
  install -D -m 644 "$(copyright_of "$package")" "$ROOTFS/usr/share/doc/$package/copyright"
done

# Proof, before any image is made of it, that Node runs from this tree alone: every library is
# there and the CA bundle parses. The same binary, unchanged: nothing is stripped.
chroot "$ROOTFS" /usr/local/bin/node -e "
  const tls = require('node:tls');
  const bundle = require('node:fs').readFileSync('/etc/ssl/cert.pem', 'utf8');
  tls.createSecureContext({ ca: bundle });
  if (tls.rootCertificates.length === 0) throw new Error('no built-in CA');
  console.log('rootfs: node ' + process.version + ' runs alone, ' + bundle.match(/BEGIN CERTIFICATE/g).length + ' CA certificates at /etc/ssl/cert.pem')
"
printf 'rootfs: %s\n' "${libs[*]}" "packages: ${packages[*]}"
du -sh "$ROOTFS"
