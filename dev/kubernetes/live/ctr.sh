#!/usr/bin/env bash
# containerd's own CLI against the live cluster's containerd (its socket is config.sh's), in the
# namespace the CRI keeps Kubernetes' containers and images in.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/config.sh"
exec ctr --address "$LIVE_CONTAINERD_SOCKET" --namespace k8s.io "$@"
