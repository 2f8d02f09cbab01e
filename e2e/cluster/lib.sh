# shellcheck shell=bash disable=SC2034  # the variables are read by the scripts sourcing this file
# Shared settings and helpers for the local control plane scripts. Sourced, never executed.
# Every value here can be overridden from the environment.

# Pinned versions: kind-config.yaml pins the same Kubernetes version (kindest/node:v1.36.1).
K8S_VERSION=${K8S_VERSION:-1.36.1}
ETCD_VERSION=${ETCD_VERSION:-3.6.10}
KWOK_VERSION=${KWOK_VERSION:-0.8.0}

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$CLUSTER_DIR/../.." && pwd)

MESHLOOM_CACHE=${MESHLOOM_CACHE:-$HOME/.cache/meshloom}
K8S_BIN=$MESHLOOM_CACHE/k8s-v$K8S_VERSION/bin
ETCD_BIN=$MESHLOOM_CACHE/etcd-v$ETCD_VERSION/bin
KWOK_BIN=$MESHLOOM_CACHE/kwok-v$KWOK_VERSION/bin

# Run-time state (PKI, etcd data, logs, pid files, kubeconfigs); .local/ is git-ignored.
STATE_DIR=${MESHLOOM_CLUSTER_DIR:-$REPO_ROOT/.local/cluster}
PKI_DIR=$STATE_DIR/pki
LOG_DIR=$STATE_DIR/logs
PID_DIR=$STATE_DIR/pids
KUBECONFIG_PATH=$STATE_DIR/admin.kubeconfig
AUDIT_LOG=$LOG_DIR/audit.log

# Fixed loopback ports in the 16xxx range: clear of the well-known Kubernetes defaults
# (2379/2380, 6443, 10250-10259) so a developer's own kind/k3s/etcd never collides with ours.
ETCD_CLIENT_PORT=${ETCD_CLIENT_PORT:-16379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-16380}
APISERVER_PORT=${APISERVER_PORT:-16443}
CONTROLLER_MANAGER_PORT=${CONTROLLER_MANAGER_PORT:-16257}
SCHEDULER_PORT=${SCHEDULER_PORT:-16259}
KWOK_PORT=${KWOK_PORT:-16247}

SERVICE_CLUSTER_IP_RANGE=10.96.0.0/16
KWOK_POD_CIDR=10.244.0.0/16
FAKE_NODE_COUNT=${FAKE_NODE_COUNT:-3}

# The components in start order; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { printf '[cluster] ERROR: %s\n' "$*" >&2; exit 1; }

# Seconds since the given `date +%s` value, as "Mm Ss".
elapsed_since() {
  local s=$(( $(date +%s) - $1 ))
  printf '%dm %02ds' $((s / 60)) $((s % 60))
}
