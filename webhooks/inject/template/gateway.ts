// The `gateway` injection template of Istio 1.30.3 (files/gateway-injection-template.yaml): a pod whose only
// job is the proxy (`proxy router`), with no traffic interception, no init container and no probe rewriting.
import type { V1Container, V1VolumeMount } from '@kubernetes/client-node';
import { ANNOTATION, CONTAINER } from '../istio-names.js';
import { proxyConfigJson } from '../proxy-config.js';
import {
  annotationOr,
  appContainerNames,
  canonicalLabels,
  caCertVolume,
  defaultContainerAnnotations,
  fieldRefEnv,
  identityEnv,
  imageFor,
  imagePullSecrets,
  meshIdentityEnv,
  MTLS_CERTS_MOUNT,
  mtlsCertsVolume,
  PODINFO_VOLUME,
  podPortsEnvValue,
  proxyMetadataEnv,
  proxyResources,
  readinessProbe,
  resourceFieldRefEnv,
  revisionAnnotation,
  tokenVolume,
  valueEnv,
  workloadEnv,
  type InjectionTemplate,
  type PodOverlay,
  type TemplateContext,
} from './context.js';

function gatewayContainer(context: TemplateContext): V1Container {
  const { config, proxyConfig } = context;
  const args = [
    'proxy',
    'router',
    '--domain',
    `$(POD_NAMESPACE).svc.${config.clusterDomain}`,
    `--proxyLogLevel=${annotationOr(context, ANNOTATION.logLevel, config.proxy.logLevel)}`,
    `--proxyComponentLogLevel=${annotationOr(context, ANNOTATION.componentLogLevel, config.proxy.componentLogLevel)}`,
    `--log_output_level=${annotationOr(context, ANNOTATION.agentLogLevel, config.proxy.agentLogLevel)}`,
  ];
  if (config.proxy.logAsJson) args.push('--log_as_json');

  const env = [
    ...identityEnv(config),
    valueEnv('PROXY_CONFIG', `${proxyConfigJson(proxyConfig)}\n`),
    valueEnv('ISTIO_META_POD_PORTS', podPortsEnvValue(context.spec)),
    resourceFieldRefEnv('GOMEMLIMIT', 'limits.memory'),
    resourceFieldRefEnv('GOMAXPROCS', 'limits.cpu'),
    valueEnv('ISTIO_META_APP_CONTAINERS', appContainerNames(context).join(',')),
    valueEnv('ISTIO_META_CLUSTER_ID', config.clusterId || 'Kubernetes'),
    fieldRefEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    valueEnv('ISTIO_META_INTERCEPTION_MODE', proxyConfig.interceptionMode ?? 'REDIRECT'),
  ];
  if (config.network) env.push(valueEnv('ISTIO_META_NETWORK', config.network));
  env.push(...workloadEnv(context), ...meshIdentityEnv(config), ...proxyMetadataEnv(proxyConfig));

  const volumeMounts: V1VolumeMount[] = [
    { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
    { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
    { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
  ];
  if (config.pilotCertProvider === 'istiod') volumeMounts.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' });
  volumeMounts.push(
    { mountPath: '/var/lib/istio/data', name: 'istio-data' },
    { mountPath: '/etc/istio/proxy', name: 'istio-envoy' },
    { mountPath: '/var/run/secrets/tokens', name: 'istio-token' },
  );
  if (config.mountMtlsCerts) volumeMounts.push(MTLS_CERTS_MOUNT);
  volumeMounts.push({ mountPath: '/etc/istio/pod', name: 'istio-podinfo' });

  const container: V1Container = {
    name: CONTAINER.proxy,
    image: imageFor(context, config.proxyImageName),
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args,
    securityContext: { runAsUser: context.proxyUID, runAsGroup: context.proxyGID },
    env,
    readinessProbe: readinessProbe(context),
    // Gateways size their proxy in the Deployment; only the resource annotations apply here.
    resources: proxyResources(context, false),
    volumeMounts,
  };
  if (config.proxy.lifecycle) container.lifecycle = config.proxy.lifecycle;
  if (config.imagePullPolicy) container.imagePullPolicy = config.imagePullPolicy;
  return container;
}

export const gatewayTemplate: InjectionTemplate = (context) => {
  const { config } = context;
  const overlay: PodOverlay = {
    metadata: {
      labels: canonicalLabels(context),
      annotations: { ...revisionAnnotation(config), ...defaultContainerAnnotations(context) },
    },
    spec: {
      // Lets the unprivileged proxy bind ports below 1024.
      securityContext: { sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }] },
      containers: [gatewayContainer(context)],
      volumes: [
        { name: 'workload-socket' },
        { emptyDir: {}, name: 'credential-socket' },
        { emptyDir: {}, name: 'workload-certs' },
        { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
        { name: 'istio-data', emptyDir: {} },
        PODINFO_VOLUME,
        tokenVolume(config),
        ...(config.pilotCertProvider === 'istiod' ? [caCertVolume(config)] : []),
        ...(config.mountMtlsCerts ? [mtlsCertsVolume(context)] : []),
      ],
    },
  };
  const secrets = imagePullSecrets(config);
  if (secrets) overlay.spec.imagePullSecrets = secrets;
  return overlay;
};
