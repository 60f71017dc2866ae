#!/usr/bin/env bash
# import-images.sh IMAGE:TAG...: copies images from the Docker engine into the cluster's
# containerd, for a cluster that pulls from no registry. CLUSTER=k3d (the cluster K3D_CLUSTER) or
# live (the one dev/kubernetes/live runs); one archive, one import, for either.
set -euo pipefail
: "${CLUSTER:?CLUSTER=k3d or live}"
: "${DOCKER:=docker}"
here=$(cd "$(dirname "$0")" && pwd)
archive=$(mktemp --suffix=.tar)
trap 'rm -f "$archive"' EXIT
"$DOCKER" save -o "$archive" "$@"
case $CLUSTER in
  k3d) "${K3D:-k3d}" image import --cluster "${K3D_CLUSTER:?}" "$archive" ;;
  live) "$here/live/ctr.sh" images import "$archive" >/dev/null ;;
  *) echo "CLUSTER=$CLUSTER: k3d or live" >&2; exit 2 ;;
esac
