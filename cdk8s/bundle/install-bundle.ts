// dist/install.yaml: everything a platform engineer applies to run meshloom — the MeshInstallation CRD, the
// operator namespace, ServiceAccount, least-privilege RBAC (rule by rule, from operator/api/rbac.ts), the
// operator Deployment (2 replicas, leader election for reconciling, webhook on every replica), its Service
// and PDB. Pure: the generator and the tests both call renderInstallBundle().
import { readFileSync } from 'node:fs';
import { App, ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { parse } from 'yaml';
import { LABELS, MANAGED_BY } from '../../operator/api/names.js';
import { OPERATOR_CLUSTER_RULES, OPERATOR_NAMESPACE_RULES, type PolicyRule } from '../../operator/api/rbac.js';

export interface BundleOptions {
  version: string;
  image: string;
  namespace?: string;
}

export const OPERATOR_NAME = 'meshloom-operator';
export const WEBHOOK_SERVICE = 'meshloom-webhook';
export const WEBHOOK_PORT = 9443;
export const PROBE_PORT = 8080;

const CRD_FILE = new URL('../../crds/meshinstallation.yaml', import.meta.url);

function rules(list: PolicyRule[]): k8s.PolicyRule[] {
  return list.map(({ apiGroups, resources, verbs }) => ({ apiGroups, resources, verbs }));
}

export function renderInstallBundle({ version, image, namespace = 'meshloom-system' }: BundleOptions): Record<string, unknown>[] {
  const app = new App();
  const labels = { [LABELS.partOf]: 'meshloom', [LABELS.managedBy]: MANAGED_BY, [LABELS.version]: version };
  const selector = { 'app.kubernetes.io/name': OPERATOR_NAME };
  const podLabels = { ...selector, ...labels };

  const cluster = new Chart(app, 'cluster', { labels, disableResourceNameHashes: true });
  new ApiObject(cluster, 'crd', parse(readFileSync(CRD_FILE, 'utf8')));
  new k8s.KubeNamespace(cluster, 'namespace', {
    metadata: { name: namespace, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  new k8s.KubeClusterRole(cluster, 'cluster-role', { metadata: { name: OPERATOR_NAME }, rules: rules(OPERATOR_CLUSTER_RULES) });
  new k8s.KubeClusterRoleBinding(cluster, 'cluster-role-binding', {
    metadata: { name: OPERATOR_NAME },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_NAME },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  });

  const ns = new Chart(app, 'operator', { namespace, labels, disableResourceNameHashes: true });
  new k8s.KubeServiceAccount(ns, 'service-account', { metadata: { name: OPERATOR_NAME } });
  new k8s.KubeRole(ns, 'role', { metadata: { name: OPERATOR_NAME }, rules: rules(OPERATOR_NAMESPACE_RULES) });
  new k8s.KubeRoleBinding(ns, 'role-binding', {
    metadata: { name: OPERATOR_NAME },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_NAME },
    subjects: [{ kind: 'ServiceAccount', name: OPERATOR_NAME, namespace }],
  });
  new k8s.KubeDeployment(ns, 'deployment', {
    metadata: { name: OPERATOR_NAME },
    spec: {
      replicas: 2,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: OPERATOR_NAME,
          // Longer than the webhook server's in-flight grace (10s), so admissions finish before SIGKILL.
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector } } },
              ],
            },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector } },
          ],
          containers: [
            {
              name: 'operator',
              image,
              args: [
                `--namespace=${namespace}`,
                `--webhook-port=${WEBHOOK_PORT}`,
                `--webhook-service=${WEBHOOK_SERVICE}`,
                `--probe-port=${PROBE_PORT}`,
                '--leader-elect',
              ],
              env: [
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'NODE_OPTIONS', value: '--max-old-space-size=384' },
              ],
              ports: [
                { name: 'webhook', containerPort: WEBHOOK_PORT },
                { name: 'metrics', containerPort: PROBE_PORT },
              ],
              readinessProbe: { httpGet: { path: '/readyz', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 5 },
              livenessProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 10, failureThreshold: 3 },
              startupProbe: { httpGet: { path: '/healthz', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 2, failureThreshold: 30 },
              resources: {
                requests: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('256Mi') },
                limits: { memory: k8s.Quantity.fromString('512Mi') },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  });
  new k8s.KubeService(ns, 'webhook-service', {
    metadata: { name: WEBHOOK_SERVICE },
    spec: {
      selector,
      ports: [
        { name: 'https-webhook', port: 443, targetPort: k8s.IntOrString.fromString('webhook') },
        { name: 'http-metrics', port: PROBE_PORT, targetPort: k8s.IntOrString.fromString('metrics') },
      ],
    },
  });
  new k8s.KubePodDisruptionBudget(ns, 'pdb', {
    metadata: { name: OPERATOR_NAME },
    spec: { minAvailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: selector } },
  });
  return [...cluster.toJson(), ...ns.toJson()];
}
