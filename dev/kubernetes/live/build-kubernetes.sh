#!/usr/bin/env bash
# Builds the Kubernetes binaries the live cluster runs (the control plane, the kubelet, kube-proxy
# and a kubectl inside the version skew) from k8s.io/kubernetes with Go, into $1.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod points every k8s.io/*
# staging module at ./staging/src. A small wrapper module requires it and pins each of those to the
# release's v0.x.y tag instead, which the module proxy serves. The version variables are set at
# link time, as the release build does, or the binaries call themselves v0.0.0-master and Helm
# refuses charts that declare a kubeVersion.
set -euo pipefail

VERSION=${KUBERNETES_VERSION:?KUBERNETES_VERSION, e.g. v1.34.4}
OUT=${1:?output directory}
STAGING_VERSION="v0.${VERSION#v1.}"
MAJOR=1
MINOR=$(cut -d. -f2 <<<"${VERSION#v}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

go mod init jobsys.local/kubernetes-build >/dev/null 2>&1
# The release's own go.mod lists the staging modules it replaces; pin each to the same release.
gomod=$(go mod download -json "k8s.io/kubernetes@$VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
{
  echo "require k8s.io/kubernetes $VERSION"
  echo 'replace ('
  sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\t\1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
  echo ')'
} >>go.mod
cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
GOFLAGS=-mod=mod go mod tidy -e >/dev/null

ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=$MAJOR -X $pkg.gitMinor=$MINOR"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

mkdir -p "$OUT"
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
  echo "   go build $cmd $VERSION"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$OUT/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done
