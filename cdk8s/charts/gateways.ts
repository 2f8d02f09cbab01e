// Ingress and egress gateways: per gateway a proxyv2 `router` Deployment with its Service, ServiceAccount,
// secret-reading Role, and PDB/HPA when asked for. The proxy is rendered in full (not left to injection) so
// its image always follows the catalogue and the drain settings are exactly what the spec says.
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { LABELS } from '../../operator/api/names.js';
import type { ResolvedGateway } from '../../operator/api/profiles.js';
import type { RenderContext } from '../context.js';
import {
  autoscaler,
  disruptionBudget,
  fieldEnv,
  httpProbe,
  ISTIO_ROLLING_UPDATE,
  ISTIO_TOKEN_VOLUME,
  resourceEnv,
  resources,
} from './common.js';

const STATUS_PORT = 15021;

export class GatewaysChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext) {
    super(scope, id, props);
    for (const gateway of ctx.spec.gateways) this.gateway(gateway, ctx);
  }

  private gateway(gateway: ResolvedGateway, ctx: RenderContext): void {
    const { name, namespace } = gateway;
    // `istio: <name>` is what Istio Gateway resources select on (istio: ingressgateway).
    const selector = { app: name, istio: name };
    const labels = { ...selector, [LABELS.revision]: ctx.revision };
    const id = `${namespace}-${name}`;

    new k8s.KubeServiceAccount(this, `${id}-service-account`, { metadata: { name, namespace, labels } });
    // The proxy reads TLS secrets for its listeners over SDS.
    new k8s.KubeRole(this, `${id}-role`, {
      metadata: { name, namespace, labels },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }],
    });
    new k8s.KubeRoleBinding(this, `${id}-role-binding`, {
      metadata: { name, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
    });

    new k8s.KubeDeployment(this, `${id}-deployment`, {
      metadata: { name, namespace, labels },
      spec: {
        replicas: gateway.autoscaling ? undefined : gateway.replicas,
        strategy: ISTIO_ROLLING_UPDATE,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: {
              ...labels,
              // The proxy is already here; injection would add a second one.
              'sidecar.istio.io/inject': 'false',
              'istio.io/dataplane-mode': 'none',
              'service.istio.io/canonical-name': name,
              'service.istio.io/canonical-revision': 'latest',
            },
            annotations: {
              'prometheus.io/path': '/stats/prometheus',
              'prometheus.io/port': '15020',
              'prometheus.io/scrape': 'true',
              'sidecar.istio.io/inject': 'false',
              'proxy.istio.io/config': stringify(proxyConfig(gateway, ctx)),
            },
          },
          spec: {
            serviceAccountName: name,
            securityContext: {
              runAsUser: 1337,
              runAsGroup: 1337,
              runAsNonRoot: true,
              fsGroup: 1337,
              // Lets the unprivileged proxy bind ports below 1024 (safe since Kubernetes 1.22).
              sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }],
            },
            terminationGracePeriodSeconds: gateway.terminationGracePeriodSeconds,
            containers: [proxyContainer(gateway, ctx)],
            volumes: [
              { name: 'workload-socket', emptyDir: {} },
              { name: 'credential-socket', emptyDir: {} },
              { name: 'workload-certs', emptyDir: {} },
              { name: 'istio-envoy', emptyDir: {} },
              { name: 'istio-data', emptyDir: {} },
              ISTIO_TOKEN_VOLUME,
              { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
              {
                // pilot-agent reads proxy.istio.io/config from here.
                name: 'podinfo',
                downwardApi: {
                  items: [
                    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                    { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } },
                  ],
                },
              },
            ],
          },
        },
      },
    });

    const localTraffic = gateway.service.type !== 'ClusterIP' ? gateway.service.externalTrafficPolicy : undefined;
    new k8s.KubeService(this, `${id}-service`, {
      metadata: { name, namespace, labels, annotations: gateway.service.annotations },
      spec: {
        type: gateway.service.type,
        externalTrafficPolicy: localTraffic,
        ports: gateway.service.ports.map((port) => ({
          name: port.name,
          port: port.port,
          targetPort: k8s.IntOrString.fromNumber(port.targetPort),
          protocol: port.protocol,
          nodePort: port.nodePort,
        })),
        selector,
      },
    });

    const workload = { name, namespace, selector, labels, replicas: gateway.replicas, autoscaling: gateway.autoscaling };
    disruptionBudget(this, `${id}-pdb`, workload);
    autoscaler(this, `${id}-hpa`, workload);
  }
}

/** The ProxyConfig overrides pilot-agent reads from the pod annotation (drain, PROXY protocol, istiod). */
function proxyConfig(gateway: ResolvedGateway, ctx: RenderContext): Record<string, unknown> {
  return {
    discoveryAddress: ctx.istiodAddress,
    terminationDrainDuration: gateway.drain.duration,
    ...(gateway.proxyProtocol ? { gatewayTopology: { proxyProtocol: {} } } : {}),
  };
}

function proxyContainer(gateway: ResolvedGateway, ctx: RenderContext): k8s.Container {
  const { name, namespace } = gateway;
  const drainEnv: k8s.EnvVar[] = gateway.drain.exitOnZeroActiveConnections
    ? [
        { name: 'EXIT_ON_ZERO_ACTIVE_CONNECTIONS', value: 'true' },
        { name: 'MINIMUM_DRAIN_DURATION', value: gateway.drain.minimumDuration },
      ]
    : [];
  const servicePorts = gateway.service.ports.filter((port) => port.targetPort !== STATUS_PORT);
  return {
    name: 'istio-proxy',
    image: ctx.image('proxyv2'),
    args: [
      'proxy',
      'router',
      '--domain',
      '$(POD_NAMESPACE).svc.cluster.local',
      '--proxyLogLevel=warning',
      '--proxyComponentLogLevel=misc:error',
      '--log_output_level=default:info',
    ],
    ports: [
      { containerPort: STATUS_PORT, name: 'status-port', protocol: 'TCP' },
      ...servicePorts.map((port) => ({ containerPort: port.targetPort, name: port.name, protocol: port.protocol })),
      { containerPort: 15090, name: 'http-envoy-prom', protocol: 'TCP' },
    ],
    readinessProbe: httpProbe('/healthz/ready', STATUS_PORT, {
      initialDelaySeconds: 1,
      periodSeconds: 2,
      failureThreshold: 30,
      timeoutSeconds: 1,
    }),
    env: [
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      { name: 'CA_ADDR', value: ctx.istiodAddress },
      fieldEnv('NODE_NAME', 'spec.nodeName'),
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('INSTANCE_IP', 'status.podIP'),
      fieldEnv('HOST_IP', 'status.hostIP'),
      resourceEnv(ctx, 'ISTIO_CPU_LIMIT', 'limits.cpu'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      { name: 'ISTIO_META_WORKLOAD_NAME', value: name },
      { name: 'ISTIO_META_OWNER', value: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${name}` },
      { name: 'ISTIO_META_MESH_ID', value: ctx.spec.meshConfig.trustDomain },
      { name: 'TRUST_DOMAIN', value: ctx.spec.meshConfig.trustDomain },
      { name: 'ISTIO_META_UNPRIVILEGED_POD', value: 'true' },
      { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
      fieldEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
      resourceEnv(ctx, 'GOMEMLIMIT', 'limits.memory'),
      ...(ctx.release.injection.gomaxprocsEnv ? [resourceEnv(ctx, 'GOMAXPROCS', 'limits.cpu')] : []),
      ...drainEnv,
    ],
    resources: resources(gateway.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsUser: 1337,
      runAsGroup: 1337,
      runAsNonRoot: true,
    },
    volumeMounts: [
      { name: 'workload-socket', mountPath: '/var/run/secrets/workload-spiffe-uds' },
      { name: 'credential-socket', mountPath: '/var/run/secrets/credential-uds' },
      { name: 'workload-certs', mountPath: '/var/run/secrets/workload-spiffe-credentials' },
      { name: 'istio-envoy', mountPath: '/etc/istio/proxy' },
      { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'istio-data', mountPath: '/var/lib/istio/data' },
      { name: 'podinfo', mountPath: '/etc/istio/pod' },
    ],
  };
}
