# shellcheck shell=bash
# PKI and kubeconfigs for the local control plane, made with openssl. Sourced by up.sh.
# One throw-away CA signs the apiserver serving certificate and one client certificate per
# identity; each component gets its own identity so the audit log tells their requests apart.

# ECDSA P-256 keys: generated in milliseconds, accepted by every component.
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }

# sign_cert <name> <subject> <extensions>: writes $PKI_DIR/<name>.{key,crt} signed by the CA.
sign_cert() {
  local name=$1 subject=$2 extensions=$3
  new_key "$PKI_DIR/$name.key"
  openssl req -new -key "$PKI_DIR/$name.key" -subj "$subject" -out "$PKI_DIR/$name.csr"
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 365 -sha256 \
    -extfile <(printf '%s\n' "$extensions") -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr"
}

client_cert() {
  local name=$1 subject=$2
  sign_cert "$name" "$subject" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
}

generate_pki() {
  mkdir -p "$PKI_DIR"
  chmod 700 "$PKI_DIR"
  new_key "$PKI_DIR/ca.key"
  openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=meshloom-local-ca" -days 365 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$PKI_DIR/ca.crt"

  # 10.96.0.1 is the first address of the service range: the `kubernetes` Service's ClusterIP,
  # which in-cluster clients (kind, or an operator using the in-cluster config) verify against.
  sign_cert apiserver "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1"

  client_cert admin "/O=system:masters/CN=admin"
  # The built-in RBAC bootstrap policy grants these two user names exactly what they need.
  client_cert kube-controller-manager "/CN=system:kube-controller-manager"
  client_cert kube-scheduler "/CN=system:kube-scheduler"
  # kwok writes Node and Pod status and deletes Pods on behalf of every fake kubelet.
  client_cert kwok "/O=system:masters/CN=kwok"

  # Service-account token signing key pair (TokenRequest, projected tokens, kcm's token controller).
  new_key "$PKI_DIR/sa.key"
  openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub"
}

# write_kubeconfig <file> <identity>: a self-contained kubeconfig (certificates embedded) for the
# client certificate $PKI_DIR/<identity>.{crt,key}.
write_kubeconfig() {
  local file=$1 identity=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: meshloom-local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: $identity
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/$identity.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/$identity.key")
contexts:
- name: meshloom-local
  context:
    cluster: meshloom-local
    user: $identity
current-context: meshloom-local
EOF
  chmod 600 "$file"
}
