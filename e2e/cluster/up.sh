#!/usr/bin/env bash
# Starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on 127.0.0.1 with
# state in .local/cluster/, registers the fake nodes and waits until they are Ready.
# Idempotent: a healthy running cluster is left as it is.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$CLUSTER_DIR/pki.sh"
source "$CLUSTER_DIR/processes.sh"

KUBECTL=$K8S_BIN/kubectl
kubectl_admin() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

apiserver_ready() {
  curl -sf --max-time 2 --cacert "$PKI_DIR/ca.crt" --cert "$PKI_DIR/admin.crt" --key "$PKI_DIR/admin.key" \
    "https://127.0.0.1:$APISERVER_PORT/readyz" >/dev/null
}

ready_node_count() {
  kubectl_admin get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null |
    grep -c '^True$' || true
}

cluster_healthy() {
  local component
  for component in "${COMPONENTS[@]}"; do component_pid "$component" >/dev/null || return 1; done
  apiserver_ready && (($(ready_node_count) == FAKE_NODE_COUNT))
}

print_access() {
  log "kubeconfig: $KUBECONFIG_PATH"
  printf 'export KUBECONFIG=%s\n' "$KUBECONFIG_PATH"
}

check_ports_free() {
  local component port
  while read -r component port; do
    if port_listening "$port"; then
      ss -Hltnp "sport = :$port" >&2 || true
      die "port $port (for $component) is already in use; free it or choose another port (see e2e/cluster/lib.sh)"
    fi
  done < <(cluster_ports)
}

write_audit_policy() {
  # Metadata (who, verb, resource, response code; never bodies, so no Secret data) for every
  # request. RequestReceived is omitted so each request is logged once, at ResponseComplete
  # (watches also log ResponseStarted): counting a client's writes is then
  #   jq 'select(.user.username=="<user>" and (.verb|test("create|update|patch|delete")))'
  cat >"$STATE_DIR/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
EOF
}

# The kwok Stages that make fake nodes and pods behave like kubelet-run ones, read from the kwok
# module itself so they always match the kwok binary's version.
write_kwok_stages() {
  local kwok_dir
  kwok_dir=$(cd "$STATE_DIR" && go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d $kwok_dir/kustomize/stage ]] || die "could not locate the sigs.k8s.io/kwok@v$KWOK_VERSION module"
  local stages=(
    node/fast/node-initialize.yaml
    node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
    pod/fast/pod-ready.yaml
    pod/fast/pod-complete.yaml
    # The "general" pod-delete, not the fast one: it waits for finalizers to be removed and for
    # the grace period to run out, like a kubelet, instead of deleting terminating pods at once.
    pod/general/pod-delete.yaml
  )
  local stage
  for stage in "${stages[@]}"; do
    printf -- '---\n'
    cat "$kwok_dir/kustomize/stage/$stage"
  done >"$STATE_DIR/kwok-stages.yaml"
}

start_etcd() {
  mkdir -m 700 "$STATE_DIR/etcd"
  start_component etcd "$ETCD_BIN/etcd" \
    --name=meshloom-local --data-dir="$STATE_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="meshloom-local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync=true --quota-backend-bytes=2147483648 --log-level=warn
  wait_healthy etcd 30 curl -sf --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/readyz"
}

start_apiserver() {
  # --advertise-address=127.0.0.1 needs --endpoint-reconciler-type=none: the `kubernetes`
  # EndpointSlice may not hold a loopback address, and without an explicit address the apiserver
  # advertises (or, lacking a default route, fails to find) a host interface address.
  start_component kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --endpoint-reconciler-type=none \
    --cert-dir="$STATE_DIR/apiserver" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-cluster-ip-range="$SERVICE_CLUSTER_IP_RANGE" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --audit-policy-file="$STATE_DIR/audit-policy.yaml" --audit-log-path="$AUDIT_LOG" \
    --audit-log-format=json
  wait_healthy kube-apiserver 120 apiserver_ready
}

start_controller_manager() {
  start_component kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE_DIR/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI_DIR/sa.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --service-cluster-ip-range="$SERVICE_CLUSTER_IP_RANGE"
}

start_scheduler() {
  start_component kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE_DIR/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false
}

start_kwok() {
  start_component kwok "$KWOK_BIN/kwok" \
    --kubeconfig="$STATE_DIR/kwok.kubeconfig" \
    --config="$STATE_DIR/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr="$KWOK_POD_CIDR" --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$KWOK_PORT"
}

# The fake nodes: untainted (DaemonSets must land on them), spread over zones, with the standard
# well-known labels and a kubelet version that kwok's node-initialize stage keeps as given.
# Their addresses are in TEST-NET-1 (192.0.2.0/24): documentation-only, never dialed.
fake_nodes_manifest() {
  local i zones=(zone-a zone-b zone-c)
  for ((i = 0; i < FAKE_NODE_COUNT; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: ${zones[i % ${#zones[@]}]}
spec:
  podCIDR: 10.244.$i.0/24
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  addresses:
  - {type: InternalIP, address: 192.0.2.$((i + 1))}
  - {type: Hostname, address: kwok-node-$i}
  nodeInfo:
    kubeletVersion: v$K8S_VERSION
    kubeProxyVersion: v$K8S_VERSION
    containerRuntimeVersion: kwok://$KWOK_VERSION
    operatingSystem: linux
    architecture: amd64
EOF
  done
}

register_fake_nodes() {
  fake_nodes_manifest | kubectl_admin create -f - >/dev/null
  local deadline=$((SECONDS + 60))
  until (($(ready_node_count) == FAKE_NODE_COUNT)); do
    component_pid kwok >/dev/null || fail_component kwok "exited before the nodes were Ready"
    ((SECONDS < deadline)) || fail_component kwok "did not make $FAKE_NODE_COUNT nodes Ready within 60s"
    sleep 0.2
  done
  # Native-sidecar detection in the operator reads the kubelet version; kwok must not replace it.
  local wrong
  wrong=$(kubectl_admin get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.metadata.name}={.status.nodeInfo.kubeletVersion}{"\n"}{end}' |
    grep -v "=v$K8S_VERSION\$" || true)
  [[ -z $wrong ]] || die "fake nodes report a kubelet version other than v$K8S_VERSION: $wrong"
}

wait_default_service_account() {
  local deadline=$((SECONDS + 60))
  until kubectl_admin get serviceaccount default -n default >/dev/null 2>&1; do
    component_pid kube-controller-manager >/dev/null ||
      fail_component kube-controller-manager "exited before creating serviceaccount/default"
    ((SECONDS < deadline)) ||
      fail_component kube-controller-manager "did not create serviceaccount/default within 60s"
    sleep 0.2
  done
}

main() {
  lock_cluster_state
  if [[ -d $STATE_DIR ]]; then
    if cluster_healthy; then
      log "cluster already running and healthy ($FAKE_NODE_COUNT nodes Ready)"
      print_access
      return
    fi
    log "found a stale or unhealthy cluster in $STATE_DIR; recreating it"
    stop_cluster
  fi
  bash "$CLUSTER_DIR/build.sh"
  check_ports_free

  local started=$SECONDS
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$PID_DIR"
  generate_pki
  local identity
  for identity in admin kube-controller-manager kube-scheduler kwok; do
    write_kubeconfig "$STATE_DIR/$identity.kubeconfig" "$identity"
  done
  write_audit_policy
  write_kwok_stages

  start_etcd
  log "started etcd on 127.0.0.1:$ETCD_CLIENT_PORT"
  start_apiserver
  log "started kube-apiserver on https://127.0.0.1:$APISERVER_PORT"
  start_controller_manager
  start_scheduler
  start_kwok
  wait_healthy kube-controller-manager 60 curl -sfk --max-time 2 "https://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"
  wait_healthy kube-scheduler 60 curl -sfk --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
  wait_healthy kwok 30 curl -sf --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz"
  log "started kube-controller-manager, kube-scheduler and kwok"
  register_fake_nodes
  wait_default_service_account
  log "cluster ready in $((SECONDS - started))s: $FAKE_NODE_COUNT fake nodes Ready, serviceaccount/default present"
  log "audit log: $AUDIT_LOG"
  print_access
}

main "$@"
