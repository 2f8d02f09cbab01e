#!/usr/bin/env bash
# The local Kubernetes control plane for development and e2e tests: a real etcd, kube-apiserver,
# kube-controller-manager and kube-scheduler built from source, plus kwok fake nodes, all on
# 127.0.0.1 (no Docker). Versions, ports and paths: e2e/cluster/lib.sh.
set -euo pipefail
CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
  cat >&2 <<'USAGE'
usage: cluster.sh <command>
  build       build etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
              kwok from the Go module proxy (once per version; cached in $MESHLOOM_CACHE)
  up          start the cluster (builds first if needed); does nothing if it is already healthy
  down        stop the cluster and remove its state
  kubeconfig  print the admin kubeconfig path
  status      show the components, apiserver readiness and nodes
USAGE
  exit 2
}

case ${1:-} in
  build | up | down | status) exec bash "$CLUSTER_DIR/$1.sh" ;;
  kubeconfig)
    source "$CLUSTER_DIR/lib.sh"
    [[ -f $KUBECONFIG_PATH ]] || die "no cluster is running; start one with: make cluster-up"
    printf '%s\n' "$KUBECONFIG_PATH"
    ;;
  *) usage ;;
esac
