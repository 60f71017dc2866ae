#!/usr/bin/env bash
# Starts a single-node Kubernetes cluster on this machine, from the binaries build-kubernetes.sh
# made and Debian's etcd, containerd, runc and CNI plugins: etcd, the API server (TLS, RBAC, Node
# authorization), the controller manager, the scheduler, containerd with its CRI plugin, the
# kubelet, kube-proxy (iptables; NodePorts answer on 127.0.0.1), a CNI bridge network and CoreDNS.
# Leaves it running; down.sh removes it. Prints each step and how long it took.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/config.sh"
source "$here/certificates.sh"
export PATH="$LIVE_BIN:$PATH"
export KUBECONFIG=$LIVE_KUBECONFIG

started=$SECONDS
step() { printf '   %-60s (%3d s)\n' "$1" $((SECONDS - started)); }

if [[ -e $LIVE_DIR ]]; then
  echo "$LIVE_DIR exists: a cluster is up, or a previous one was not removed (make down-live)" >&2
  exit 1
fi
node_ip=$(live_node_ip)
mkdir -p "$LIVE_DIR"/{log,pids,run,cni/net.d,etcd,kubelet,containerd}
# What down.sh must leave as it found: the kernel settings this run changes.
sysctl -n net.ipv4.conf.all.route_localnet >"$LIVE_DIR/route_localnet.before"
ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort >"$LIVE_DIR/links.before"

# start NAME COMMAND...: runs a component in its own session, logging to log/NAME.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$LIVE_DIR/log/$name.log" 2>&1 </dev/null &
  echo $! >"$LIVE_DIR/pids/$name.pid"
}
# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds, or fail naming WHAT and its log.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      echo "$what did not come up within $limit s; its log, $LIVE_DIR/log/$what.log, ends:" >&2
      tail -n 30 "$LIVE_DIR/log/$what.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

make_pki "$node_ip"
step "certificates (openssl)"

start etcd etcd --name "$LIVE_NODE" --data-dir "$LIVE_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$LIVE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$LIVE_ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((LIVE_ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((LIVE_ETCD_PORT + 1))" \
  --initial-cluster "$LIVE_NODE=http://127.0.0.1:$((LIVE_ETCD_PORT + 1))" --listen-metrics-urls ''
wait_for etcd 30 curl -fsS "http://127.0.0.1:$LIVE_ETCD_PORT/health"
step "etcd $(etcd --version | sed -n 's/etcd Version: //p')"

start kube-apiserver kube-apiserver \
  --advertise-address="$node_ip" --bind-address=0.0.0.0 --secure-port="$LIVE_API_PORT" \
  --etcd-servers="http://127.0.0.1:$LIVE_ETCD_PORT" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --anonymous-auth=false \
  --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$PKI/service-accounts.pub" --service-account-signing-key-file="$PKI/service-accounts.key" \
  --service-cluster-ip-range="$LIVE_SERVICE_CIDR" --service-node-port-range=30000-32767 \
  --allow-privileged=false
wait_for kube-apiserver 90 kubectl get --raw /readyz
step "kube-apiserver $KUBERNETES_VERSION (https://127.0.0.1:$LIVE_API_PORT)"

start kube-controller-manager kube-controller-manager \
  --kubeconfig="$LIVE_DIR/controller-manager.kubeconfig" --leader-elect=false \
  --use-service-account-credentials --service-account-private-key-file="$PKI/service-accounts.key" \
  --root-ca-file="$PKI/ca.crt" --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --service-cluster-ip-range="$LIVE_SERVICE_CIDR" --secure-port=0
start kube-scheduler kube-scheduler --kubeconfig="$LIVE_DIR/scheduler.kubeconfig" --leader-elect=false --secure-port=0
step "controller manager, scheduler"

# The CRI plugin's cgroupfs driver (the machine is cgroup v1 without systemd), and no lowering of
# oom_score_adj: this VM grants no process CAP_SYS_RESOURCE, and runc fails every sandbox if asked.
cat >"$LIVE_DIR/containerd.toml" <<TOML
version = 2
root = "$LIVE_DIR/containerd/root"
state = "$LIVE_DIR/containerd/state"
[grpc]
  address = "$LIVE_CONTAINERD_SOCKET"
[ttrpc]
  address = "$LIVE_CONTAINERD_SOCKET.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/$LIVE_PAUSE_IMAGE"
  restrict_oom_score_adj = true
  # Pod network namespaces under LIVE_DIR too, not /run/netns: down.sh finds every one of them.
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$LIVE_DIR/cni/net.d"
TOML
# One bridge for the pods, its own name and range; the firewall plugin admits the pods' traffic
# past the FORWARD chain's DROP policy that Docker sets on this machine.
cat >"$LIVE_DIR/cni/net.d/10-jobsys-live.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$LIVE_CNI_NETWORK",
  "plugins": [
    { "type": "bridge", "bridge": "$LIVE_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$LIVE_POD_CIDR" }]], "routes": [{ "dst": "0.0.0.0/0" }],
                "dataDir": "$LIVE_DIR/cni/ipam" } },
    { "type": "portmap", "capabilities": { "portMappings": true } },
    { "type": "firewall", "backend": "iptables" },
    { "type": "loopback" }
  ]
}
JSON
start containerd containerd --config "$LIVE_DIR/containerd.toml"
wait_for containerd 30 ctr --address "$LIVE_CONTAINERD_SOCKET" version
step "containerd $(containerd --version | awk '{print $3}'), runc, CNI bridge $LIVE_BRIDGE"

# The images no registry serves here (build-images.sh), from Docker's store into the CRI's.
CLUSTER=live "$here/../import-images.sh" "$LIVE_PAUSE_IMAGE" "$LIVE_COREDNS_IMAGE"
step "imported $LIVE_PAUSE_IMAGE, $LIVE_COREDNS_IMAGE"

cat >"$LIVE_DIR/kubelet.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: { enabled: false }
  webhook: { enabled: true }
  x509: { clientCAFile: $PKI/ca.crt }
authorization: { mode: Webhook }
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
containerRuntimeEndpoint: unix://$LIVE_CONTAINERD_SOCKET
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDomain: cluster.local
clusterDNS: [$LIVE_DNS_IP]
resolvConf: ""
healthzPort: 0
readOnlyPort: 0
# No image is ever removed to free disk: the imported ones have no registry to come back from.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1% }
serializeImagePulls: false
YAML
start kubelet kubelet --config="$LIVE_DIR/kubelet.yaml" --kubeconfig="$LIVE_DIR/kubelet.kubeconfig" \
  --root-dir="$LIVE_DIR/kubelet" --hostname-override="$LIVE_NODE" --node-ip="$node_ip"

cat >"$LIVE_DIR/kube-proxy.yaml" <<YAML
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: { kubeconfig: $LIVE_DIR/proxy.kubeconfig }
hostnameOverride: $LIVE_NODE
mode: iptables
clusterCIDR: $LIVE_POD_CIDR
# NodePorts answer on loopback only: the tests' traffic never leaves this machine.
nodePortAddresses: [127.0.0.0/8]
oomScoreAdj: 0
conntrack: { maxPerCore: 0 }
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
YAML
start kube-proxy kube-proxy --config="$LIVE_DIR/kube-proxy.yaml"
wait_for kubelet 60 kubectl wait --for=condition=Ready "node/$LIVE_NODE" --timeout=1s
step "kubelet, kube-proxy: node $LIVE_NODE Ready"

sed -e "s|@DNS_IP@|$LIVE_DNS_IP|" -e "s|@IMAGE@|docker.io/$LIVE_COREDNS_IMAGE|" "$here/coredns.yaml" | kubectl apply -f - >/dev/null
kubectl -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null
step "CoreDNS $LIVE_DNS_IP"

echo "   cluster up in $((SECONDS - started)) s: KUBECONFIG=$LIVE_KUBECONFIG"
