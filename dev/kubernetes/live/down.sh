#!/usr/bin/env bash
# Removes the cluster up.sh started, whether it came up whole, in part or not at all, and then
# checks that nothing of it is left: no process, no mount, no network interface, no iptables rule,
# no cgroup. Fails naming what is left, so a leak is a red run, not a surprise on the next one.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/config.sh"
export PATH="$LIVE_BIN:$PATH"
export KUBECONFIG=$LIVE_KUBECONFIG

if [[ ! -e $LIVE_DIR ]]; then
  echo "   no live cluster at $LIVE_DIR: nothing to remove"
  exit 0
fi
started=$SECONDS
step() { printf '   %-60s (%3d s)\n' "$1" $((SECONDS - started)); }
# The pid of a component still running: its arguments name LIVE_DIR, so not a process that reused its pid.
component_pid() {
  local pidfile=$LIVE_DIR/pids/$1.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  grep -qaF -- "$LIVE_DIR" "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}
stop() {
  local pid
  pid=$(component_pid "$1") || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "   $1 did not stop within 10 s of SIGTERM: killed"
  kill -9 "$pid" 2>/dev/null
}
ctr_() { "$here/ctr.sh" "$@"; }

# Pods first, through the kubelet, so that each sandbox's network is taken down by its CNI plugins
# (its veth, address, NAT and firewall rules) rather than cut off.
if kubectl get --raw /readyz >/dev/null 2>&1 && component_pid kubelet >/dev/null; then
  kubectl get namespaces -o name | grep -v -e '/default$' -e '/kube-' | xargs -r kubectl delete --wait=false >/dev/null 2>&1
  kubectl delete deployments --all --namespace kube-system --wait=false >/dev/null 2>&1
  kubectl delete pods --all --all-namespaces --grace-period=5 --wait=false >/dev/null 2>&1
  for _ in $(seq 1 120); do
    [[ -z $(ctr_ tasks ls -q 2>/dev/null) ]] && break
    sleep 0.5
  done
  step "pods stopped"
fi

stop kube-proxy
stop kubelet
stop kube-scheduler
stop kube-controller-manager
# What the kubelet did not stop in time, containerd stops now (and its shims with their tasks).
if ctr_ version >/dev/null 2>&1; then
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$task" >/dev/null 2>&1; done
  sleep 1
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$task" >/dev/null 2>&1; done
fi
stop containerd
stop kube-apiserver
stop etcd
# What is left of it is known by name, not by a pattern that could match a caller's command line:
# the components (their pid files), containerd's shims (they name its socket) and the containers'
# own processes (in the pods' cgroups).
cluster_pids() {
  local pidfile
  for pidfile in "$LIVE_DIR"/pids/*.pid; do
    [[ -f $pidfile ]] && component_pid "$(basename "$pidfile" .pid)"
  done
  pgrep -f -- "-address $LIVE_CONTAINERD_SOCKET( |$)"
  find /sys/fs/cgroup/*/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null
}
cluster_pids | sort -u | xargs -r kill -9 2>/dev/null
step "processes stopped"

# kube-proxy's own cleanup removes its chains; the CNI plugins' chains are named CNI-*.
kube-proxy --cleanup >/dev/null 2>&1
for iptables in iptables ip6tables; do
  for table in nat filter mangle raw; do
    "$iptables" -t "$table" -S 2>/dev/null | grep -E '^-A [A-Z-]+ .*-j (CNI|KUBE)-|^-A (CNI|KUBE)-' |
      while read -r _ chain rule; do eval "$iptables -t $table -D $chain $rule" 2>/dev/null; done
    for chain in $("$iptables" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(\(CNI\|KUBE\)-[^ ]*\)$/\1/p'); do
      "$iptables" -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in $("$iptables" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(\(CNI\|KUBE\)-[^ ]*\)$/\1/p'); do
      "$iptables" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
step "iptables rules removed"

# Mounts under LIVE_DIR (pod volumes, container root filesystems, network namespaces), deepest first.
for _ in 1 2 3; do
  awk -v dir="$LIVE_DIR" '$2 == dir || index($2, dir "/") == 1 {print $2}' /proc/self/mounts | sort -r |
    while read -r mount; do umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null; done
done
ip link delete "$LIVE_BRIDGE" 2>/dev/null
# The pods' cgroups, as the kubelet made them under every v1 hierarchy, children first.
for hierarchy in /sys/fs/cgroup/*/; do
  [[ -d ${hierarchy}kubepods ]] && find "${hierarchy}kubepods" -depth -type d -exec rmdir {} + 2>/dev/null
done
sysctl -q -w "net.ipv4.conf.all.route_localnet=$(cat "$LIVE_DIR/route_localnet.before" 2>/dev/null || echo 0)"
step "mounts, bridge, cgroups, sysctl"

left=()
sleep 0.5
leftover=$(cluster_pids | sort -u | tr '\n' ' ')
[[ -n $leftover ]] && left+=("processes: $leftover")
grep -q " $LIVE_DIR" /proc/self/mounts && left+=("mounts under $LIVE_DIR")
if [[ -f $LIVE_DIR/links.before ]]; then
  new_links=$(comm -13 "$LIVE_DIR/links.before" <(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort) | tr '\n' ' ')
  [[ -n $new_links ]] && left+=("network interfaces: $new_links")
fi
for iptables in iptables ip6tables; do
  "$iptables-save" 2>/dev/null | grep -qE '(CNI|KUBE)-' && left+=("$iptables rules (CNI-*, KUBE-*)")
done
for hierarchy in /sys/fs/cgroup/*/; do
  [[ -d ${hierarchy}kubepods ]] && left+=("cgroup ${hierarchy}kubepods")
done
if ((${#left[@]} > 0)); then
  printf '   left behind: %s\n' "${left[@]}" >&2
  echo "   $LIVE_DIR is kept for a look; make down-live again once it is dealt with" >&2
  exit 1
fi
step "nothing left: no process, mount, interface, rule or cgroup"
rm -rf "$LIVE_DIR"
step "removed $LIVE_DIR"
