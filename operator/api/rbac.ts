// What the operator may do, rule by rule. The install bundle's ClusterRole and Role are rendered from these,
// and `meshloom check` asks the API server (SelfSubjectAccessReview) for each of them.

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  /** Why the operator needs it: kept next to the rule so a reviewer can judge it. */
  why: string;
}

const MANAGE = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];

/** Cluster-wide: what a MeshInstallation renders lives in any namespace, or is cluster-scoped. */
export const OPERATOR_CLUSTER_RULES: PolicyRule[] = [
  { apiGroups: ['mesh.meshloom.dev'], resources: ['meshinstallations'], verbs: ['get', 'list', 'watch', 'patch'], why: 'watch installations; add and remove the cleanup finalizer' },
  { apiGroups: ['mesh.meshloom.dev'], resources: ['meshinstallations/status'], verbs: ['get', 'patch'], why: 'report conditions and components' },
  { apiGroups: ['mesh.meshloom.dev'], resources: ['meshinstallations/finalizers'], verbs: ['update'], why: 'set blockOwnerDeletion owner references on children' },
  { apiGroups: [''], resources: ['namespaces'], verbs: MANAGE, why: 'create the control-plane and gateway namespaces when missing' },
  { apiGroups: [''], resources: ['serviceaccounts', 'configmaps', 'services'], verbs: MANAGE, why: 'istiod, ztunnel, istio-cni and gateway objects' },
  { apiGroups: ['apps'], resources: ['deployments', 'daemonsets'], verbs: MANAGE, why: 'istiod, gateways, ztunnel and istio-cni workloads; restarts of injected ones onto a new proxy' },
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'patch'], why: 'restart injected StatefulSets onto a new proxy (spec.updateStrategy.workloads)' },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'], why: 'find the Deployment behind an injected pod that runs an old proxy' },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE, why: 'PDBs of istiod and gateways with more than one replica; every budget is read before workloads are restarted' },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: MANAGE, why: 'autoscaling of istiod and gateways' },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
    verbs: MANAGE,
    why: 'the RBAC istiod, ztunnel, istio-cni and gateways run with',
  },
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['clusterroles', 'roles'],
    verbs: ['bind', 'escalate'],
    why: "grant istiod's permissions (Istio CRDs, certificates) without holding every one of them itself",
  },
  {
    apiGroups: ['admissionregistration.k8s.io'],
    resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
    verbs: MANAGE,
    why: "the sidecar injector's and istiod's config validation webhook configurations",
  },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch', 'create', 'patch'], why: "install Istio's API CRDs (never deleted)" },
  { apiGroups: [''], resources: ['nodes'], verbs: READ, why: 'kubelet versions decide native sidecars (nativeSidecars: Auto)' },
  { apiGroups: [''], resources: ['pods'], verbs: READ, why: 'which revision and proxy version injected pods run: revision usage and workload migration' },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'], why: 'Events on MeshInstallations' },
  { apiGroups: ['cert-manager.io'], resources: ['issuers', 'certificates'], verbs: MANAGE, why: 'webhook certificates with certificates.provider: CertManager' },
];

/** Only in the operator's own namespace. */
export const OPERATOR_NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'], why: 'the webhook CA and serving certificate' },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'], why: 'leader election between operator replicas' },
];
