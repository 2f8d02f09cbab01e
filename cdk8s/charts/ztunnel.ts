// The ztunnel node proxy DaemonSet of ambient mode, as Istio's ztunnel chart renders it.
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import type { RenderContext } from '../context.js';
import { fieldEnv, httpProbe, ISTIO_TOKEN_VOLUME, resourceEnv, resources } from './common.js';

/** Node agents must run on every node, tainted or not. */
export const NODE_AGENT_TOLERATIONS: k8s.Toleration[] = [
  { effect: 'NoSchedule', operator: 'Exists' },
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { effect: 'NoExecute', operator: 'Exists' },
];

export class ZtunnelChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext) {
    super(scope, id, props);
    const { namespace, nodeTunnel } = ctx.spec;
    const labels = { app: 'ztunnel', 'app.kubernetes.io/name': 'ztunnel' };

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: 'ztunnel', namespace, labels } });
    new k8s.KubeDaemonSet(this, 'daemonset', {
      metadata: { name: 'ztunnel', namespace, labels },
      spec: {
        updateStrategy: {
          type: 'RollingUpdate',
          // Surge first so a node is never without ztunnel during a rollout.
          rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) },
        },
        selector: { matchLabels: { app: 'ztunnel' } },
        template: {
          metadata: {
            labels: { ...labels, 'sidecar.istio.io/inject': 'false', 'istio.io/dataplane-mode': 'none' },
            annotations: {
              'sidecar.istio.io/inject': 'false',
              'prometheus.io/port': '15020',
              'prometheus.io/scrape': 'true',
            },
          },
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            serviceAccountName: 'ztunnel',
            tolerations: NODE_AGENT_TOLERATIONS,
            priorityClassName: 'system-node-critical',
            // ztunnel drains for this long minus one second, so its drain always fits the grace period.
            terminationGracePeriodSeconds: nodeTunnel.terminationGracePeriodSeconds,
            containers: [
              {
                name: 'istio-proxy',
                image: ctx.image('ztunnel'),
                args: ['proxy', 'ztunnel'],
                ports: [{ containerPort: 15020, name: 'ztunnel-stats', protocol: 'TCP' }],
                readinessProbe: httpProbe('/healthz/ready', 15021),
                resources: resources(nodeTunnel.resources),
                securityContext: {
                  // CAP_SYS_ADMIN implies privilege escalation; Kubernetes does not validate that, so say it.
                  allowPrivilegeEscalation: true,
                  privileged: false,
                  capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'SYS_ADMIN', 'NET_RAW'] },
                  readOnlyRootFilesystem: true,
                  runAsGroup: 1337,
                  runAsNonRoot: false,
                  runAsUser: 0,
                },
                env: [
                  { name: 'CA_ADDRESS', value: ctx.istiodAddress },
                  { name: 'XDS_ADDRESS', value: ctx.istiodAddress },
                  { name: 'RUST_LOG', value: 'info' },
                  { name: 'RUST_BACKTRACE', value: '1' },
                  { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
                  { name: 'INPOD_ENABLED', value: 'true' },
                  { name: 'TERMINATION_GRACE_PERIOD_SECONDS', value: String(nodeTunnel.terminationGracePeriodSeconds) },
                  fieldEnv('POD_NAME', 'metadata.name'),
                  fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
                  fieldEnv('NODE_NAME', 'spec.nodeName'),
                  fieldEnv('INSTANCE_IP', 'status.podIP'),
                  fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
                  resourceEnv(ctx, 'ZTUNNEL_CPU_LIMIT', 'limits.cpu'),
                ],
                volumeMounts: [
                  { mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' },
                  { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
                  { mountPath: '/var/run/ztunnel', name: 'cni-ztunnel-sock-dir' },
                  { mountPath: '/tmp', name: 'tmp' },
                ],
              },
            ],
            volumes: [
              ISTIO_TOKEN_VOLUME,
              { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
              // istio-cni may start later and create the socket; do not block ztunnel on it.
              { name: 'cni-ztunnel-sock-dir', hostPath: { path: '/var/run/ztunnel', type: 'DirectoryOrCreate' } },
              // Read-only root filesystem, but pprof needs a writable /tmp.
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    });
  }
}
