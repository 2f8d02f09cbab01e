// The istio-cni node agent (ambient redirection and pod repair), as Istio's cni chart renders it with
// ambient enabled: RBAC, its ConfigMap and the istio-cni-node DaemonSet.
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { RenderContext } from '../context.js';
import { fieldEnv, httpProbe, resourceEnv, resources } from './common.js';
import { NODE_AGENT_TOLERATIONS } from './ztunnel.js';

const CLUSTER_ROLES: Record<string, k8s.PolicyRule[]> = {
  'istio-cni': [{ apiGroups: [''], resources: ['pods', 'nodes', 'namespaces'], verbs: ['get', 'list', 'watch'] }],
  // Repair mode "repairPods" fixes broken pods in place, so it needs no delete or label rights.
  'istio-cni-repair-role': [
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['watch', 'get', 'list'] },
  ],
  // pods/status is the least privilege that can mark a pod as enrolled in ambient.
  'istio-cni-ambient': [{ apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update'] }],
};

/** Pods selected for ambient redirection: Istio's default enablement selectors. */
const AMBIENT_ENABLEMENT_SELECTORS = [
  { podSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } } },
  {
    podSelector: { matchExpressions: [{ key: 'istio.io/dataplane-mode', operator: 'NotIn', values: ['none'] }] },
    namespaceSelector: { matchLabels: { 'istio.io/dataplane-mode': 'ambient' } },
  },
];

export class CniChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext) {
    super(scope, id, props);
    const namespace = ctx.spec.namespace;
    const labels = { app: 'istio-cni', 'app.kubernetes.io/name': 'istio-cni' };

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: 'istio-cni', namespace, labels } });
    for (const [name, rules] of Object.entries(CLUSTER_ROLES)) {
      new k8s.KubeClusterRole(this, `${name}-role`, { metadata: { name, labels }, rules });
      new k8s.KubeClusterRoleBinding(this, `${name}-binding`, {
        metadata: { name: name === 'istio-cni-repair-role' ? 'istio-cni-repair-rolebinding' : name, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
        subjects: [{ kind: 'ServiceAccount', name: 'istio-cni', namespace }],
      });
    }

    new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'istio-cni-config', namespace, labels },
      data: {
        CURRENT_AGENT_VERSION: ctx.release.tag,
        AMBIENT_ENABLED: 'true',
        AMBIENT_ENABLEMENT_SELECTOR: stringify(AMBIENT_ENABLEMENT_SELECTORS),
        AMBIENT_DNS_CAPTURE: 'true',
        AMBIENT_IPV6: 'true',
        AMBIENT_RECONCILE_POD_RULES_ON_STARTUP: 'true',
        ENABLE_AMBIENT_DETECTION_RETRY: 'false',
        ISTIO_OWNED_CNI_CONFIG: 'false',
        CHAINED_CNI_PLUGIN: 'true',
        EXCLUDE_NAMESPACES: 'kube-system',
        REPAIR_ENABLED: 'true',
        REPAIR_LABEL_PODS: 'false',
        REPAIR_DELETE_PODS: 'false',
        REPAIR_REPAIR_PODS: 'true',
        REPAIR_INIT_CONTAINER_NAME: 'istio-validation',
        REPAIR_BROKEN_POD_LABEL_KEY: 'cni.istio.io/uninitialized',
        REPAIR_BROKEN_POD_LABEL_VALUE: 'true',
        NATIVE_NFTABLES: 'false',
      },
    });

    new k8s.KubeDaemonSet(this, 'daemonset', {
      // The CNI plugin falls back to this exact name in failsafe paths: never rename it.
      metadata: { name: 'istio-cni-node', namespace, labels: { ...labels, 'k8s-app': 'istio-cni-node' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'istio-cni-node' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
        template: {
          metadata: {
            labels: {
              ...labels,
              'k8s-app': 'istio-cni-node',
              'sidecar.istio.io/inject': 'false',
              'istio.io/dataplane-mode': 'none',
            },
            annotations: {
              'sidecar.istio.io/inject': 'false',
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': '15014',
              'prometheus.io/path': '/metrics',
              // Kubernetes < 1.30 cannot express the AppArmor profile in securityContext.
              'container.apparmor.security.beta.kubernetes.io/install-cni': 'unconfined',
            },
          },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: NODE_AGENT_TOLERATIONS,
            priorityClassName: 'system-node-critical',
            serviceAccountName: 'istio-cni',
            terminationGracePeriodSeconds: 30,
            containers: [
              {
                name: 'install-cni',
                image: ctx.image('install-cni'),
                command: ['install-cni'],
                args: ['--log_output_level=info'],
                ports: [{ containerPort: 15014, name: 'metrics', protocol: 'TCP' }],
                readinessProbe: httpProbe('/readyz', 8000),
                securityContext: {
                  privileged: false,
                  runAsGroup: 0,
                  runAsUser: 0,
                  runAsNonRoot: false,
                  // Only what ambient and repair need instead of `privileged`.
                  capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_ADMIN', 'DAC_OVERRIDE'] },
                },
                envFrom: [{ configMapRef: { name: 'istio-cni-config' } }],
                env: [
                  fieldEnv('REPAIR_NODE_NAME', 'spec.nodeName'),
                  { name: 'REPAIR_RUN_AS_DAEMON', value: 'true' },
                  { name: 'REPAIR_SIDECAR_ANNOTATION', value: 'sidecar.istio.io/status' },
                  { name: 'ALLOW_SWITCH_TO_HOST_NS', value: 'true' },
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
                  resourceEnv(ctx, 'GOMEMLIMIT', 'limits.memory'),
                  resourceEnv(ctx, 'GOMAXPROCS', 'limits.cpu'),
                  fieldEnv('POD_NAME', 'metadata.name'),
                  fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
                ],
                volumeMounts: [
                  { mountPath: '/host/opt/cni/bin', name: 'cni-bin-dir' },
                  { mountPath: '/host/proc', name: 'cni-host-procfs', readOnly: true },
                  { mountPath: '/host/etc/cni/net.d', name: 'cni-net-dir' },
                  { mountPath: '/var/run/istio-cni', name: 'cni-socket-dir' },
                  { mountPath: '/host/var/run/netns', mountPropagation: 'HostToContainer', name: 'cni-netns-dir' },
                  { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
                ],
                resources: resources({ requests: { cpu: '100m', memory: '100Mi' } }),
              },
            ],
            volumes: [
              { name: 'cni-bin-dir', hostPath: { path: '/opt/cni/bin' } },
              { name: 'cni-host-procfs', hostPath: { path: '/proc', type: 'Directory' } },
              { name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } },
              { name: 'cni-net-dir', hostPath: { path: '/etc/cni/net.d' } },
              { name: 'cni-socket-dir', hostPath: { path: '/var/run/istio-cni' } },
              // The netns directory may appear only once a pod runs on the node; do not wait for it.
              { name: 'cni-netns-dir', hostPath: { path: '/var/run/netns', type: 'DirectoryOrCreate' } },
            ],
          },
        },
      },
    });
  }
}
