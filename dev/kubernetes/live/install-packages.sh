#!/usr/bin/env bash
# Installs, from Debian's packages, what the live cluster runs and builds with and this machine
# lacks: etcd, containerd, runc, the CNI plugins, conntrack, openssl, and gcc with glibc's static
# archive (the pause image). Idempotent: installs nothing when all are there.
set -euo pipefail
missing=()
command -v etcd >/dev/null || missing+=(etcd-server)
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
for tool in containerd:containerd runc:runc conntrack:conntrack openssl:openssl iptables:iptables gcc:gcc; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[[ -f /usr/lib/x86_64-linux-gnu/libc.a ]] || missing+=(libc6-dev)
((${#missing[@]} == 0)) && exit 0
if [[ $EUID != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "the live cluster needs Debian's ${missing[*]}: install them as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "   apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
