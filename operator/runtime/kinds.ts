// The kinds the operator renders and owns, with their REST paths. Informers need the plural and scope up
// front; a fixed table is simpler and cheaper than discovery for a closed set of built-in kinds.

export interface OwnedKind {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Owned children of this kind are deleted when no longer rendered. Namespaces and Istio CRDs never are. */
  prunable: boolean;
}

export const OWNED_KINDS: readonly OwnedKind[] = [
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, prunable: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, prunable: true },
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, prunable: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true, prunable: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true, prunable: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, prunable: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, prunable: true },
  { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, prunable: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true, prunable: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true, prunable: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false, prunable: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false, prunable: true },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false, prunable: true },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false, prunable: true },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, prunable: false },
];

const BY_GVK = new Map(OWNED_KINDS.map((k) => [`${k.apiVersion}/${k.kind}`, k]));

export class UnknownKindError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`meshloom does not know how to manage ${kind} (${apiVersion}); add it to operator/runtime/kinds.ts`);
    this.name = 'UnknownKindError';
  }
}

export function ownedKind(apiVersion: string, kind: string): OwnedKind {
  const found = BY_GVK.get(`${apiVersion}/${kind}`);
  if (!found) throw new UnknownKindError(apiVersion, kind);
  return found;
}

/** The collection path of a kind, e.g. /apis/apps/v1/namespaces/ns/deployments. */
export function collectionPath(kind: OwnedKind, namespace?: string): string {
  const base = kind.apiVersion.includes('/') ? `/apis/${kind.apiVersion}` : `/api/${kind.apiVersion}`;
  return kind.namespaced && namespace ? `${base}/namespaces/${namespace}/${kind.plural}` : `${base}/${kind.plural}`;
}

/** A stable identity for an object: apiVersion/kind/namespace/name. */
export function objectKey(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }): string {
  return `${obj.apiVersion}/${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
}
