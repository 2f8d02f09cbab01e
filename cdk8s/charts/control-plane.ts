// istiod and what it needs, as Istio's istio-discovery chart renders them for the same settings, once per
// control-plane revision: ServiceAccount, RBAC, the `istio` mesh ConfigMap, Deployment, Service, PDB/HPA, and
// the config validation webhook.
import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { LABELS } from '../../operator/api/names.js';
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

const ISTIO_API_GROUPS = [
  'config.istio.io',
  'security.istio.io',
  'networking.istio.io',
  'authentication.istio.io',
  'rbac.istio.io',
  'telemetry.istio.io',
  'extensions.istio.io',
];
const READ = ['get', 'list', 'watch'];
const MANAGE = ['get', 'watch', 'list', 'update', 'patch', 'create', 'delete'];

/** istiod's cluster-wide permissions (istio-discovery clusterrole.yaml, analysis and CSR signing off). */
const ISTIOD_CLUSTER_RULES: k8s.PolicyRule[] = [
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: [...READ, 'update', 'patch'] },
  { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations'], verbs: [...READ, 'update'] },
  { apiGroups: ISTIO_API_GROUPS, resources: ['*'], verbs: READ },
  { apiGroups: ['networking.istio.io'], resources: ['workloadentries'], verbs: MANAGE },
  { apiGroups: ['networking.istio.io'], resources: ['workloadentries/status', 'serviceentries/status'], verbs: MANAGE },
  { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies/status'], verbs: MANAGE },
  { apiGroups: [''], resources: ['services/status'], verbs: MANAGE },
  { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: READ },
  { apiGroups: [''], resources: ['pods', 'nodes', 'services', 'namespaces', 'endpoints'], verbs: READ },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['*'] },
  // The CA's namespace controller writes istio-ca-root-cert into every namespace.
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create', 'get', 'list', 'watch', 'update'] },
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
  { apiGroups: ['gateway.networking.k8s.io', 'gateway.networking.x-k8s.io'], resources: ['*'], verbs: READ },
  { apiGroups: ['gateway.networking.x-k8s.io'], resources: ['xbackendtrafficpolicies/status'], verbs: ['update', 'patch'] },
  {
    apiGroups: ['gateway.networking.k8s.io'],
    resources: [
      'backendtlspolicies/status',
      'gatewayclasses/status',
      'gateways/status',
      'grpcroutes/status',
      'httproutes/status',
      'referencegrants/status',
      'tcproutes/status',
      'tlsroutes/status',
      'udproutes/status',
    ],
    verbs: ['update', 'patch'],
  },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['gatewayclasses'], verbs: ['create', 'update', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['secrets'], verbs: READ },
  { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceexports'], verbs: ['get', 'watch', 'list', 'create', 'delete'] },
  { apiGroups: ['multicluster.x-k8s.io'], resources: ['serviceimports'], verbs: READ },
];

/** What istiod's Gateway API deployment controller creates for automated gateways and waypoints. */
const GATEWAY_CONTROLLER_RULES: k8s.PolicyRule[] = [
  { apiGroups: ['apps'], resources: ['deployments'], verbs: MANAGE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: MANAGE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE },
  { apiGroups: [''], resources: ['services'], verbs: MANAGE },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: MANAGE },
];

/** istiod's permissions in its own namespace (CA secret, status config maps, leader election). */
const ISTIOD_NAMESPACE_RULES: k8s.PolicyRule[] = [
  { apiGroups: ['networking.istio.io'], resources: ['gateways'], verbs: ['create'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'watch', 'list', 'update', 'delete'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['delete'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update', 'patch', 'create'] },
];

export class ControlPlaneChart extends Chart {
  /**
   * `ctx` is the spec's revision; `retained` are older revisions kept running beside it while a revision-based
   * upgrade is in progress, each a complete istiod of its own version. Mesh-wide objects come with `ctx` only.
   */
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext, retained: readonly RenderContext[] = []) {
    super(scope, id, props);
    for (const revision of [ctx, ...retained]) new IstiodRevision(this, revision.revision, revision);

    if (ctx.spec.meshConfig.mtls === 'STRICT') {
      // Mesh-wide mTLS is a PeerAuthentication in the root namespace (Istio's documented way).
      new ApiObject(this, 'mesh-mtls', {
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: ctx.spec.namespace, labels: istiodLabels(ctx) },
        spec: { mtls: { mode: 'STRICT' } },
      });
    }
  }
}

/** One revision's istiod: ServiceAccount, RBAC, mesh ConfigMap, Deployment, Service, PDB/HPA, validation webhook. */
class IstiodRevision extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const { spec, revision, istiodName } = ctx;
    const namespace = spec.namespace;
    const revisionLabels = { [LABELS.revision]: revision };
    // The default revision keeps Istio's historical selector (`istio: pilot`) so Istio tooling finds it.
    const selector: Record<string, string> =
      ctx.revision === 'default' ? { app: 'istiod', istio: 'pilot' } : { app: 'istiod', [LABELS.revision]: revision };
    const labels = istiodLabels(ctx);

    new k8s.KubeServiceAccount(this, 'service-account', { metadata: { name: istiodName, namespace, labels } });
    this.bindClusterRole('istiod', ctx.revisioned('istiod-clusterrole') + `-${namespace}`, ISTIOD_CLUSTER_RULES, ctx, labels);
    this.bindClusterRole(
      'gateway-controller',
      ctx.revisioned('istiod-gateway-controller') + `-${namespace}`,
      GATEWAY_CONTROLLER_RULES,
      ctx,
      labels,
    );
    new k8s.KubeRole(this, 'role', { metadata: { name: istiodName, namespace, labels }, rules: ISTIOD_NAMESPACE_RULES });
    new k8s.KubeRoleBinding(this, 'role-binding', {
      metadata: { name: istiodName, namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: istiodName },
      subjects: [{ kind: 'ServiceAccount', name: istiodName, namespace }],
    });

    new k8s.KubeConfigMap(this, 'mesh-config', {
      metadata: { name: ctx.revisioned('istio'), namespace, labels },
      data: { mesh: stringify(meshConfig(ctx)), meshNetworks: stringify({ networks: {} }) },
    });

    new k8s.KubeDeployment(this, 'deployment', {
      metadata: { name: istiodName, namespace, labels },
      spec: {
        replicas: spec.controlPlane.autoscaling ? undefined : spec.controlPlane.replicas,
        strategy: ISTIO_ROLLING_UPDATE,
        selector: { matchLabels: selector },
        template: {
          metadata: {
            labels: {
              ...selector,
              ...revisionLabels,
              istio: revision === 'default' ? 'pilot' : 'istiod',
              'sidecar.istio.io/inject': 'false',
              'istio.io/dataplane-mode': 'none',
            },
            annotations: {
              'prometheus.io/port': '15014',
              'prometheus.io/scrape': 'true',
              'sidecar.istio.io/inject': 'false',
            },
          },
          spec: {
            serviceAccountName: istiodName,
            tolerations: [{ key: 'cni.istio.io/not-ready', operator: 'Exists' }],
            containers: [istiodContainer(ctx)],
            volumes: [
              { name: 'local-certs', emptyDir: { medium: 'Memory' } },
              ISTIO_TOKEN_VOLUME,
              { name: 'cacerts', secret: { secretName: 'cacerts', optional: true } },
              { name: 'istio-kubeconfig', secret: { secretName: 'istio-kubeconfig', optional: true } },
              { name: 'istio-csr-dns-cert', secret: { secretName: 'istiod-tls', optional: true } },
              {
                name: 'istio-csr-ca-configmap',
                configMap: { name: 'istio-ca-root-cert', defaultMode: 420, optional: true },
              },
            ],
          },
        },
      },
    });

    new k8s.KubeService(this, 'service', {
      metadata: { name: istiodName, namespace, labels },
      spec: {
        ports: [
          { name: 'grpc-xds', port: 15010, protocol: 'TCP' },
          { name: 'https-dns', port: 15012, protocol: 'TCP' },
          { name: 'https-webhook', port: 443, targetPort: k8s.IntOrString.fromNumber(15017), protocol: 'TCP' },
          { name: 'http-monitoring', port: 15014, protocol: 'TCP' },
        ],
        selector,
      },
    });

    const workload = {
      name: istiodName,
      namespace,
      selector,
      labels,
      replicas: spec.controlPlane.replicas,
      autoscaling: spec.controlPlane.autoscaling,
    };
    disruptionBudget(this, 'pdb', workload);
    autoscaler(this, 'hpa', workload);

    this.validationWebhook(ctx, labels);
  }

  private bindClusterRole(
    id: string,
    name: string,
    rules: k8s.PolicyRule[],
    ctx: RenderContext,
    labels: Record<string, string>,
  ): void {
    new k8s.KubeClusterRole(this, `${id}-cluster-role`, { metadata: { name, labels }, rules });
    new k8s.KubeClusterRoleBinding(this, `${id}-cluster-role-binding`, {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: ctx.istiodName, namespace: ctx.spec.namespace }],
    });
  }

  /**
   * istiod's validation of Istio config. failurePolicy and caBundle are left out on purpose: istiod patches
   * them itself once it serves (Ignore → Fail), and the operator's field manager must not own them or every
   * apply would fight istiod.
   */
  private validationWebhook(ctx: RenderContext, labels: Record<string, string>): void {
    const revisionSelector: k8s.LabelSelector | undefined =
      ctx.revision === 'default'
        ? undefined
        : { matchExpressions: [{ key: LABELS.revision, operator: 'In', values: [ctx.revision] }] };
    new k8s.KubeValidatingWebhookConfiguration(this, 'validator', {
      metadata: { name: `${ctx.revisioned('istio-validator')}-${ctx.spec.namespace}`, labels },
      webhooks: [
        {
          name: 'rev.validation.istio.io',
          clientConfig: {
            service: { name: ctx.istiodName, namespace: ctx.spec.namespace, path: '/validate', port: 443 },
          },
          rules: [
            {
              operations: ['CREATE', 'UPDATE'],
              apiGroups: ['security.istio.io', 'networking.istio.io', 'telemetry.istio.io', 'extensions.istio.io'],
              apiVersions: ['*'],
              resources: ['*'],
            },
          ],
          objectSelector: revisionSelector,
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
        },
      ],
    });
  }
}

function istiodLabels(ctx: RenderContext): Record<string, string> {
  return { app: 'istiod', istio: 'pilot', [LABELS.revision]: ctx.revision };
}

/** The mesh configuration istiod and every proxy read (`istio` ConfigMap, key `mesh`). */
function meshConfig(ctx: RenderContext): Record<string, unknown> {
  const { meshConfig: mesh, injection, namespace } = ctx.spec;
  return {
    ...(mesh.accessLogging ? { accessLogFile: '/dev/stdout' } : {}),
    defaultConfig: {
      discoveryAddress: ctx.istiodAddress,
      terminationDrainDuration: injection.drainDuration,
    },
    enablePrometheusMerge: true,
    rootNamespace: namespace,
    trustDomain: mesh.trustDomain,
  };
}

function istiodContainer(ctx: RenderContext): k8s.Container {
  const { spec } = ctx;
  const ambientEnv: k8s.EnvVar[] = spec.nodeTunnel.enabled
    ? [
        // ztunnel asks istiod for certificates on behalf of the pods on its node.
        { name: 'CA_TRUSTED_NODE_ACCOUNTS', value: `${spec.namespace}/ztunnel` },
        { name: 'PILOT_ENABLE_AMBIENT', value: 'true' },
      ]
    : [];
  return {
    name: 'discovery',
    image: ctx.image('pilot'),
    args: [
      'discovery',
      '--monitoringAddr=:15014',
      '--log_output_level=default:info',
      '--domain',
      'cluster.local',
      '--keepaliveMaxServerConnectionAge',
      '30m',
    ],
    ports: [
      { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
      { containerPort: 15010, name: 'grpc-xds', protocol: 'TCP' },
      { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
      { containerPort: 15017, name: 'https-webhooks', protocol: 'TCP' },
      { containerPort: 15014, name: 'http-monitoring', protocol: 'TCP' },
    ],
    readinessProbe: httpProbe('/ready', 8080, { initialDelaySeconds: 1, periodSeconds: 3, timeoutSeconds: 5 }),
    env: [
      { name: 'REVISION', value: ctx.revision },
      { name: 'PILOT_CERT_PROVIDER', value: 'istiod' },
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      { name: 'KUBECONFIG', value: '/var/run/secrets/remote/config' },
      ...ambientEnv,
      { name: 'PILOT_TRACE_SAMPLING', value: '1' },
      { name: 'PILOT_ENABLE_ANALYSIS', value: 'false' },
      { name: 'CLUSTER_ID', value: 'Kubernetes' },
      resourceEnv(ctx, 'GOMAXPROCS', 'limits.cpu'),
      { name: 'PLATFORM', value: '' },
    ],
    resources: resources(spec.controlPlane.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens', readOnly: true },
      { name: 'local-certs', mountPath: '/var/run/secrets/istio-dns' },
      { name: 'cacerts', mountPath: '/etc/cacerts', readOnly: true },
      { name: 'istio-kubeconfig', mountPath: '/var/run/secrets/remote', readOnly: true },
      { name: 'istio-csr-dns-cert', mountPath: '/var/run/secrets/istiod/tls', readOnly: true },
      { name: 'istio-csr-ca-configmap', mountPath: '/var/run/secrets/istiod/ca', readOnly: true },
    ],
  };
}
