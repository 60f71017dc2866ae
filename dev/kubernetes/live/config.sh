# The live cluster's settings, sourced by up.sh, down.sh and the Makefile's targets: one place.
# Everything it makes lives under LIVE_DIR, its processes run from LIVE_BIN, and its networks are
# addresses no other part of this machine uses (the pod and service ranges exist only on its bridge).
: "${LIVE_DIR:=/var/tmp/jobsys-live}"
: "${LIVE_BIN:?LIVE_BIN: the directory of the Go-built Kubernetes binaries}"
: "${KUBERNETES_VERSION:?KUBERNETES_VERSION, e.g. v1.34.4}"
LIVE_NODE=jobsys-live
LIVE_API_PORT=${LIVE_API_PORT:-16443}
LIVE_ETCD_PORT=${LIVE_ETCD_PORT:-12379}
LIVE_POD_CIDR=10.244.0.0/24
LIVE_SERVICE_CIDR=10.96.0.0/16
LIVE_KUBERNETES_SERVICE_IP=10.96.0.1
LIVE_DNS_IP=10.96.0.10
LIVE_BRIDGE=jobsys-cni0
LIVE_CNI_NETWORK=jobsys-live
LIVE_CONTAINERD_SOCKET=$LIVE_DIR/run/containerd.sock
LIVE_KUBECONFIG=$LIVE_DIR/admin.kubeconfig
# The images no registry serves here, built by build-images.sh and imported by up.sh.
LIVE_PAUSE_IMAGE=jobsys-live/pause:1
LIVE_COREDNS_IMAGE=jobsys-live/coredns:${COREDNS_VERSION:-v1.12.1}
# The address the API server advertises and the kubelet registers: this machine's own interface
# (the API server refuses loopback): the address of the default route's interface.
live_node_ip() {
  local dev
  dev=$(ip -4 -o route show default | sed -n 's/.* dev \([^ ]*\).*/\1/p' | head -1)
  ip -4 -o addr show dev "${dev:?no default route}" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -1
}
