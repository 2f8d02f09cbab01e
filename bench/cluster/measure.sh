#!/usr/bin/env bash
# Measures the local control plane and prints the numbers:
#   - warm `cluster-up` time (binaries cached) until the fake nodes are Ready and
#     serviceaccount/default exists, over RUNS runs;
#   - resident memory (sum of VmRSS) of the running cluster's processes, per component and total,
#     after SETTLE_SECONDS of idling;
#   - with --cold-build: a from-scratch build with empty Go module and build caches (20-30 min).
# It runs its own cluster on other ports with its own state dir, so a cluster already running for
# development is left alone.
#
#   bash bench/cluster/measure.sh [--cold-build]        (RUNS=3 SETTLE_SECONDS=20 by default)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CLUSTER_SH=$BENCH_DIR/../../e2e/cluster/cluster.sh
RUNS=${RUNS:-3}
SETTLE_SECONDS=${SETTLE_SECONDS:-20}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/meshloom-bench.XXXXXX")
export MESHLOOM_CLUSTER_DIR=$WORK/cluster
export ETCD_CLIENT_PORT=17379 ETCD_PEER_PORT=17380 APISERVER_PORT=17443
export CONTROLLER_MANAGER_PORT=17257 SCHEDULER_PORT=17259 KWOK_PORT=17247
# shellcheck source=../../e2e/cluster/lib.sh
source "$BENCH_DIR/../../e2e/cluster/lib.sh"

cleanup() {
  bash "$CLUSTER_SH" down >/dev/null 2>&1 || true
  # The Go module cache is read-only by design.
  chmod -R u+w "$WORK" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
seconds() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }

if [[ ${1:-} == --cold-build ]]; then
  started=$(now_ms)
  GOMODCACHE=$WORK/gomodcache GOCACHE=$WORK/gocache MESHLOOM_CACHE=$WORK/cache \
    bash "$CLUSTER_SH" build >"$WORK/cold-build.log" 2>&1 || { tail -n 30 "$WORK/cold-build.log" >&2; exit 1; }
  echo "cold build (empty GOMODCACHE, GOCACHE and binary cache): $(seconds $(($(now_ms) - started))) s"
fi

bash "$CLUSTER_SH" build >/dev/null 2>&1 # ensure the binaries exist before timing anything

up_times=()
for ((run = 1; run <= RUNS; run++)); do
  started=$(now_ms)
  bash "$CLUSTER_SH" up >"$WORK/up.log" 2>&1 || { tail -n 40 "$WORK/up.log" >&2; exit 1; }
  elapsed=$(($(now_ms) - started))
  up_times+=("$elapsed")
  echo "cluster-up run $run: $(seconds "$elapsed") s"
  if ((run < RUNS)); then bash "$CLUSTER_SH" down >/dev/null 2>&1; fi
done
sorted=$(printf '%s\n' "${up_times[@]}" | sort -n)
median=$(sed -n "$(((RUNS + 1) / 2))p" <<<"$sorted")
ready_nodes=$("$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" get nodes --no-headers | grep -cw Ready)
echo "cluster-up median of $RUNS: $(seconds "$median") s (to $ready_nodes Ready nodes)"

sleep "$SETTLE_SECONDS"
total_kib=0
for pid_file in "$PID_DIR"/*.pid; do
  component=$(basename "$pid_file" .pid)
  rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(<"$pid_file")/status")
  total_kib=$((total_kib + rss_kib))
  printf 'RSS %-24s %6d MiB\n' "$component" $((rss_kib / 1024))
done
printf 'RSS %-24s %6d MiB (after %ss idle)\n' total $((total_kib / 1024)) "$SETTLE_SECONDS"
