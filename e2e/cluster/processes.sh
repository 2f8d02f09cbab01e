# shellcheck shell=bash
# Process bookkeeping for the local control plane: start a component detached with a pid file,
# recognise our own processes, stop them. Sourced by up.sh, down.sh and status.sh.

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# True when the pid in <component>'s pid file is alive and really is that component of this
# cluster: its argv[0] ends in the component's name and its arguments mention our state dir.
# That guards against pid reuse after a reboot or a crash.
component_pid() {
  local component=$1 file pid cmdline
  file=$(pid_file "$component")
  [[ -f $file ]] || return 1
  pid=$(<"$file")
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  cmdline=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  # Just after start_component the child may still be setsid, about to exec the component.
  [[ $(head -n1 <<<"$cmdline") == *setsid ]] && cmdline=$(tail -n +2 <<<"$cmdline")
  [[ $(head -n1 <<<"$cmdline") == */"$component" ]] || return 1
  grep -qF -- "$STATE_DIR/" <<<"$cmdline" || return 1
  printf '%s' "$pid"
}

# start_component <component> <binary> <args...>: runs it in its own session (so Ctrl-C in the
# calling terminal or the end of `make` does not take it down), logging to logs/<component>.log.
start_component() {
  local component=$1 binary=$2
  shift 2
  [[ -x $binary ]] || die "$binary is missing; run: bash e2e/cluster/cluster.sh build"
  # 8>&-: the component must not inherit (and so hold forever) the lock of lock_cluster_state.
  setsid "$binary" "$@" >"$LOG_DIR/$component.log" 2>&1 </dev/null 8>&- &
  printf '%s' "$!" >"$(pid_file "$component")"
}

# Prints the end of a component's log and exits: the message that explains a failed start-up is
# almost always in its last lines.
fail_component() {
  local component=$1 reason=$2
  log "$component $reason; last lines of $LOG_DIR/$component.log:"
  tail -n 40 "$LOG_DIR/$component.log" >&2 2>/dev/null || true
  die "$component did not start (full log: $LOG_DIR/$component.log; clean up with: bash e2e/cluster/cluster.sh down)"
}

# wait_healthy <component> <timeout seconds> <probe command...>: polls the probe every 200 ms and
# fails early if the process exits.
wait_healthy() {
  local component=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    component_pid "$component" >/dev/null || fail_component "$component" "exited during start-up"
    ((SECONDS < deadline)) || fail_component "$component" "was not healthy after ${timeout}s"
    sleep 0.2
  done
}

# A zombie still has a /proc entry; it counts as gone (pid 1 on some machines never reaps).
process_alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}

# stop_component <component>: SIGTERM, then SIGKILL after 15 s; waits until the process is gone.
stop_component() {
  local component=$1 pid
  if ! pid=$(component_pid "$component"); then
    rm -f "$(pid_file "$component")"
    return
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 15))
  while process_alive "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if process_alive "$pid"; then
    log "$component (pid $pid) ignored SIGTERM for 15s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while process_alive "$pid"; do sleep 0.1; done
  fi
  rm -f "$(pid_file "$component")"
  log "stopped $component (pid $pid)"
}

# Ports the cluster listens on, as "component port" lines.
cluster_ports() {
  printf '%s\n' "etcd $ETCD_CLIENT_PORT" "etcd $ETCD_PEER_PORT" "kube-apiserver $APISERVER_PORT" \
    "kube-controller-manager $CONTROLLER_MANAGER_PORT" "kube-scheduler $SCHEDULER_PORT" "kwok $KWOK_PORT"
}

port_listening() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }

# Serialises up/down on one state dir: a second `up` waits for the first instead of taking a
# cluster that is still starting for a broken one and tearing it down.
lock_cluster_state() {
  mkdir -p "$(dirname "$STATE_DIR")"
  exec 8>"$STATE_DIR.lock"
  if ! flock -n 8; then
    log "another cluster.sh up/down is running on $STATE_DIR; waiting for it"
    flock 8
  fi
}

# Stops every component in reverse start order, checks that none of the cluster's ports is still
# listening, and removes the state dir.
stop_cluster() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    stop_component "${COMPONENTS[i]}"
  done
  local component port busy=0
  while read -r component port; do
    if port_listening "$port"; then
      log "port $port ($component) is still listening, held by a process this script did not start:"
      ss -Hltnp "sport = :$port" >&2 || true
      busy=1
    fi
  done < <(cluster_ports)
  rm -rf "$STATE_DIR"
  log "removed $STATE_DIR"
  ((busy == 0)) || die "some cluster ports are still in use (see above)"
}
