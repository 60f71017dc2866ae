#!/usr/bin/env bash
# Builds the two images a cluster needs that no registry here can serve, into the Docker engine:
# the pod sandbox ("pause": a static C program) and the cluster DNS (CoreDNS, built with Go). Each
# is one static binary in an empty image, so the only inputs are this folder and the Go module
# proxy. CoreDNS is built on its own, outside the Kubernetes wrapper module, so that neither
# changes the other's dependency versions.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${DOCKER:=docker}"
source "$here/config.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

if ! image_exists "$LIVE_PAUSE_IMAGE"; then
  echo "   pause: gcc -static"
  gcc -static -Os -Wall -Werror -o "$work/pause" "$here/pause.c"
  strip "$work/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' >"$work/Dockerfile"
  "$DOCKER" build -q -t "$LIVE_PAUSE_IMAGE" "$work" >/dev/null
fi

if ! image_exists "$LIVE_COREDNS_IMAGE"; then
  version=${LIVE_COREDNS_IMAGE##*:}
  echo "   coredns $version: go install"
  rm -rf "$work"/*
  GOBIN="$work" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$version"
  printf 'FROM scratch\nCOPY coredns /coredns\nENTRYPOINT ["/coredns"]\n' >"$work/Dockerfile"
  "$DOCKER" build -q -t "$LIVE_COREDNS_IMAGE" "$work" >/dev/null
fi
