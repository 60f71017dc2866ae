#!/usr/bin/env bash
# build-k3d.sh VERSION OUT: builds the k3d CLI of that tag from its Go module into the file OUT.
#
# `go install github.com/k3d-io/k3d/v5@VERSION` stops before building: it asks the module proxy for
# k3d's version list (to report a deprecation), which the proxy refuses. So the tag is built as its
# release is, in its own module as the proxy serves it, with its own go.mod and go.sum: the same
# dependencies. GOWORK=off because the tag's go.work names directories the module does not hold,
# and -mod=readonly because its vendor directory was made for that workspace.
#
# The release build links the version in; without it k3d calls itself v5-dev and runs its helper
# images (the load balancer, the image import's tools node) at their latest tag, not its own.
set -euo pipefail

VERSION=${1:?k3d version, e.g. v5.8.3}
OUT=${2:?output file}
module=github.com/k3d-io/k3d/v5

dir=$(go mod download -json "$module@$VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[[ -n $dir ]] || { echo "go mod download $module@$VERSION gave no directory" >&2; exit 1; }
cd "$dir"
GOWORK=off go build -mod=readonly -ldflags "-X $module/version.Version=$VERSION" -o "$OUT" .
