# The cluster's certificate authority and the certificates each component presents, made with
# openssl (sourced by up.sh). One CA signs them all; the identities are the ones Kubernetes' own
# RBAC defaults name: system:kube-controller-manager, system:kube-scheduler, system:kube-proxy,
# system:node:<node> in system:nodes, and an admin in system:masters.

pki_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=jobsys-live-ca" \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
}

# pki_cert NAME SUBJECT [SUBJECT_ALT_NAMES]: a client (and, with names, server) certificate.
pki_cert() {
  local name=$1 subject=$2 names=${3:-}
  openssl req -newkey rsa:2048 -nodes -subj "$subject" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $names ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$names"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 2 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig NAME SERVER: a kubeconfig that authenticates with NAME's certificate.
kubeconfig() {
  local name=$1 server=$2
  cat >"$LIVE_DIR/$name.kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: $LIVE_NODE
    cluster:
      certificate-authority: $PKI/ca.crt
      server: $server
users:
  - name: $name
    user:
      client-certificate: $PKI/$name.crt
      client-key: $PKI/$name.key
contexts:
  - name: $LIVE_NODE
    context: { cluster: $LIVE_NODE, user: $name }
current-context: $LIVE_NODE
KUBECONFIG
}

make_pki() {
  local node_ip=$1 server=https://127.0.0.1:$LIVE_API_PORT
  PKI=$LIVE_DIR/pki
  mkdir -p "$PKI"
  pki_ca
  pki_cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:$node_ip,IP:$LIVE_KUBERNETES_SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  pki_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  pki_cert admin "/O=system:masters/CN=jobsys-live-admin"
  pki_cert controller-manager "/CN=system:kube-controller-manager"
  pki_cert scheduler "/CN=system:kube-scheduler"
  pki_cert proxy "/CN=system:kube-proxy"
  pki_cert kubelet "/O=system:nodes/CN=system:node:$LIVE_NODE" "IP:127.0.0.1,IP:$node_ip,DNS:$LIVE_NODE"
  openssl genrsa -out "$PKI/service-accounts.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/service-accounts.key" -pubout -out "$PKI/service-accounts.pub" 2>/dev/null
  kubeconfig admin "$server"
  kubeconfig controller-manager "$server"
  kubeconfig scheduler "$server"
  kubeconfig proxy "$server"
  kubeconfig kubelet "$server"
  chmod -R go-rwx "$PKI"
}
