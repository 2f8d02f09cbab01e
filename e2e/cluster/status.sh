#!/usr/bin/env bash
# Shows which components run, whether the apiserver is ready, and the nodes. Exit 0 only when
# every component runs and the apiserver is ready.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_DIR/processes.sh"

main() {
  local component pid healthy=0
  for component in "${COMPONENTS[@]}"; do
    if pid=$(component_pid "$component"); then
      printf '%-24s running (pid %s)\n' "$component" "$pid"
    else
      printf '%-24s not running\n' "$component"
      healthy=1
    fi
  done
  if [[ -f $KUBECONFIG_PATH ]] && "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get --raw /readyz >/dev/null 2>&1; then
    printf '%-24s ready at https://127.0.0.1:%s\n' "apiserver /readyz" "$APISERVER_PORT"
    "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get nodes -L topology.kubernetes.io/zone
    printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
  else
    printf '%-24s not ready\n' "apiserver /readyz"
    healthy=1
  fi
  return "$healthy"
}

main "$@"
