#!/usr/bin/env bash
# Stops the processes `up` started (only those: pid files checked against /proc), waits for them
# to exit, checks that none of the cluster's ports is still listening, and removes the state.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_DIR/processes.sh"

lock_cluster_state
if [[ -d $STATE_DIR ]]; then
  stop_cluster
else
  log "no local cluster state in $STATE_DIR; nothing to stop"
fi
