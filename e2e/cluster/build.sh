#!/usr/bin/env bash
# Builds the local control plane binaries from the Go module proxy, once per version:
#   $MESHLOOM_CACHE/k8s-v<ver>/bin   kube-apiserver kube-controller-manager kube-scheduler kubectl
#   $MESHLOOM_CACHE/etcd-v<ver>/bin  etcd
#   $MESHLOOM_CACHE/kwok-v<ver>/bin  kwok
# Each set is built in a temporary directory and renamed into place only after its binaries ran
# `--version` successfully, so an interrupted build is never mistaken for a cached one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export GOTOOLCHAIN=local CGO_ENABLED=0
# -mod=mod lets `go build` complete go.sum in the throw-away wrapper modules.
GOFLAGS_WRAPPER="${GOFLAGS:-} -mod=mod"

# "GoMod"/"Dir" field of `go mod download -json <module>@<version>`.
module_field() {
  go mod download -json "$2" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p"
}

# Copies the `go` and `godebug` directives of an upstream go.mod into the wrapper module in the
# current directory: the main module's `go` line decides the binary's GODEBUG defaults, so the
# binaries behave like the upstream release instead of like whatever Go the machine has.
copy_go_directives() {
  local upstream_gomod=$1 go_line key_value
  go_line=$(sed -n 's/^go \([0-9.]*\)[[:space:]]*$/\1/p' "$upstream_gomod")
  go mod edit -go="$go_line"
  while read -r key_value; do
    go mod edit -godebug="$key_value"
  done < <(awk '/^godebug \(/ {block=1; next} block && /^\)/ {block=0; next}
               block {print $1; next} /^godebug / {print $2}' "$upstream_gomod")
}

# Runs a go command with its output in the build log, printing a heartbeat every minute so a
# long build does not look hung.
with_heartbeat() {
  local label=$1 started; shift
  started=$(date +%s)
  # $$ is the script itself: the ticker ends with it even if the script is killed.
  ( while sleep 60 && kill -0 $$ 2>/dev/null; do log "  … still $label ($(elapsed_since "$started"))"; done ) &
  local ticker=$!
  # In the background so that on_exit can stop it: killed alone, this script would otherwise leave
  # the go command compiling into a deleted directory.
  "$@" >>"$BUILD_LOG" 2>&1 &
  GO_PID=$!
  local status=0
  wait "$GO_PID" || status=$?
  GO_PID=
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  return "$status"
}

# Moves a finished build into place: <work>/module (kept for auditing the resolved versions)
# and <work>/bin, renamed last because its presence is what marks the cache as complete.
install_build() {
  local work=$1 dest_root=$2
  mkdir -p "$dest_root"
  rm -rf "$dest_root/module"
  [[ -d $work/module ]] && mv -T "$work/module" "$dest_root/module"
  mv -T "$work/bin" "$dest_root/bin"
}

build_kubernetes() {
  local work=$1 minor=${K8S_VERSION#*.} upstream_gomod module ldflags="-s -w" stamp_pkg build_date
  minor=${minor%%.*}
  local staging_version="v0.$minor.${K8S_VERSION##*.}"
  mkdir -p "$work/module" "$work/bin"
  cd "$work/module"
  GOFLAGS=$GOFLAGS_WRAPPER go mod init local.invalid/meshloom-k8s-bins 2>/dev/null

  # k8s.io/kubernetes requires its staging modules at v0.0.0 and maps them to ./staging with
  # replace directives that only apply inside k/k itself; as a dependency every one of them must
  # be replaced with the published v0.<minor>.<patch>. The list comes from k/k's own go.mod.
  upstream_gomod=$(GOFLAGS=$GOFLAGS_WRAPPER module_field GoMod "k8s.io/kubernetes@v$K8S_VERSION")
  [[ -f $upstream_gomod ]] || die "could not fetch k8s.io/kubernetes@v$K8S_VERSION go.mod through the Go proxy"
  copy_go_directives "$upstream_gomod"
  local count=0
  while read -r module; do
    go mod edit -replace="$module=$module@$staging_version"
    count=$((count + 1))
  done < <(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/src/.*|\1|p' "$upstream_gomod")
  (( count > 0 )) || die "found no staging modules in $upstream_gomod"
  log "  replaced $count staging modules with $staging_version"

  log "  resolving modules (downloads about 1 GB into the Go module cache)"
  GOFLAGS=$GOFLAGS_WRAPPER with_heartbeat "resolving modules" go get -tool \
    "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kubectl@v$K8S_VERSION"

  # Stamp the version the way upstream's hack/lib/version.sh does; unstamped binaries report
  # v0.0.0-master, which breaks version checks in kubectl, kwok and our own operator.
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for stamp_pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $stamp_pkg.gitVersion=v$K8S_VERSION -X $stamp_pkg.gitMajor=1 -X $stamp_pkg.gitMinor=$minor"
    ldflags+=" -X $stamp_pkg.gitTreeState=clean -X $stamp_pkg.buildDate=$build_date"
  done
  log "  compiling kube-apiserver, kube-controller-manager, kube-scheduler, kubectl"
  GOFLAGS=$GOFLAGS_WRAPPER with_heartbeat "compiling Kubernetes" go build -trimpath -tags=selinux,notest \
    -ldflags="$ldflags" -o "$work/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl

  local reported
  reported=$("$work/bin/kube-apiserver" --version)
  [[ $reported == "Kubernetes v$K8S_VERSION" ]] || die "kube-apiserver --version printed '$reported', expected 'Kubernetes v$K8S_VERSION'"
  "$work/bin/kubectl" version --client >/dev/null
}

build_etcd() {
  local work=$1 upstream_gomod
  mkdir -p "$work/module" "$work/bin"
  cd "$work/module"
  # A module of its own: sharing the Kubernetes wrapper would let minimal version selection raise
  # grpc/otel/protobuf for both, producing binaries neither project ever released.
  GOFLAGS=$GOFLAGS_WRAPPER go mod init local.invalid/meshloom-etcd-bin 2>/dev/null
  upstream_gomod=$(GOFLAGS=$GOFLAGS_WRAPPER module_field GoMod "go.etcd.io/etcd/server/v3@v$ETCD_VERSION")
  [[ -f $upstream_gomod ]] || die "could not fetch go.etcd.io/etcd/server/v3@v$ETCD_VERSION go.mod through the Go proxy"
  copy_go_directives "$upstream_gomod"
  GOFLAGS=$GOFLAGS_WRAPPER with_heartbeat "resolving etcd modules" \
    go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  # The main package is server/v3 itself; name the output, or it would be called "v3".
  GOFLAGS=$GOFLAGS_WRAPPER with_heartbeat "compiling etcd" go build -trimpath \
    -ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION" \
    -o "$work/bin/etcd" go.etcd.io/etcd/server/v3
  local reported
  reported=$("$work/bin/etcd" --version)
  [[ $reported == *"etcd Version: $ETCD_VERSION"* ]] || die "etcd --version printed '$reported', expected version $ETCD_VERSION"
}

build_kwok() {
  local work=$1
  mkdir -p "$work/bin"
  cd "$work"
  # kwok's go.mod has no replace directives, so `go install module@version` works as is and the
  # tag's source already carries Version=0.8.0 / KubeVersion=1.36.1.
  GOBIN="$work/bin" with_heartbeat "compiling kwok" \
    go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  "$work/bin/kwok" --version >/dev/null
}

# build_once <name> <dest root> <build function>
build_once() {
  local name=$1 dest_root=$2 builder=$3
  if [[ -d $dest_root/bin ]]; then
    log "$name: cached in $dest_root/bin"
    return
  fi
  BUILD_NAME=$name BUILD_STARTED=$(date +%s) BUILD_LOG=$MESHLOOM_CACHE/logs/$name.build.log
  mkdir -p "$MESHLOOM_CACHE/logs"
  : >"$BUILD_LOG"
  log "$name: building from the Go module proxy (only the first time; cached in $dest_root; log: $BUILD_LOG)"
  BUILD_WORK=$(mktemp -d "$MESHLOOM_CACHE/.build-$name.XXXXXX")
  # Not in a subshell (on_exit must see GO_PID) and not inside `if`/`||` (bash would disable
  # errexit); builders cd into the work dir, every path below is absolute.
  "$builder" "$BUILD_WORK"
  cd "$MESHLOOM_CACHE"
  install_build "$BUILD_WORK" "$dest_root"
  rm -rf "$BUILD_WORK"
  BUILD_WORK=
  log "$name: built in $(elapsed_since "$BUILD_STARTED")"
}

# On any exit with a build in progress, drop its temp dir so nothing half-built survives.
BUILD_WORK='' GO_PID=''
on_exit() {
  [[ -z $GO_PID ]] || kill "$GO_PID" 2>/dev/null || true
  if [[ -n $BUILD_WORK ]]; then
    rm -rf "$BUILD_WORK"
    tail -n 30 "$BUILD_LOG" >&2 2>/dev/null || true
    log "$BUILD_NAME: build failed after $(elapsed_since "$BUILD_STARTED"); nothing was cached (full log: $BUILD_LOG)"
  fi
}
trap on_exit EXIT

main() {
  command -v go >/dev/null || die "Go is required to build the control plane (Go >= 1.26, GOTOOLCHAIN=local)"
  mkdir -p "$MESHLOOM_CACHE"
  # Serialise concurrent builds (two engineers running `make cluster-up` at once).
  exec 9>"$MESHLOOM_CACHE/.build.lock"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
  local started
  started=$(date +%s)
  if [[ ! -d $MESHLOOM_CACHE/k8s-v$K8S_VERSION/bin || ! -d $MESHLOOM_CACHE/etcd-v$ETCD_VERSION/bin || ! -d $MESHLOOM_CACHE/kwok-v$KWOK_VERSION/bin ]]; then
    log "first run: building the local control plane once from Go modules (measured 9 min 17 s on 2 cores," \
      "about 1 GB of downloads); later runs reuse $MESHLOOM_CACHE"
  fi
  build_once "etcd-v$ETCD_VERSION" "$MESHLOOM_CACHE/etcd-v$ETCD_VERSION" build_etcd
  build_once "kwok-v$KWOK_VERSION" "$MESHLOOM_CACHE/kwok-v$KWOK_VERSION" build_kwok
  build_once "k8s-v$K8S_VERSION" "$MESHLOOM_CACHE/k8s-v$K8S_VERSION" build_kubernetes
  log "all binaries ready ($(elapsed_since "$started") total)"
}

main "$@"
