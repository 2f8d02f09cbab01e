// The `sidecar` injection template of Istio 1.30.3 (istio-discovery files/injection-template.yaml),
// re-expressed as a builder: istio-init (or istio-validation under CNI), istio-proxy as a native or classic
// sidecar, its env, probes, mounts and volumes, and the pod labels/annotations the template sets.
import type { V1Container, V1EnvVar, V1Lifecycle, V1SecurityContext, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { ANNOTATION, CONTAINER, LABEL } from '../istio-names.js';
import { proxyConfigJson } from '../proxy-config.js';
import {
  annotationOr,
  appContainerNames,
  canonicalLabels,
  caCertVolume,
  defaultContainerAnnotations,
  excludeInboundPort,
  fieldRefEnv,
  hasAnnotation,
  identityEnv,
  imageFor,
  imagePullSecrets,
  interceptionMode,
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
  statusPort,
  tokenVolume,
  valueEnv,
  workloadEnv,
  type InjectionTemplate,
  type PodOverlay,
  type TemplateContext,
} from './context.js';

function holdApplication(context: TemplateContext): boolean {
  return context.proxyConfig.holdApplicationUntilProxyStarts === true || context.config.proxy.holdApplicationUntilProxyStarts;
}

function traffic(context: TemplateContext) {
  const { interception, proxy } = context.config;
  const annotations = context.metadata.annotations ?? {};
  return {
    includeIPRanges: annotationOr(context, ANNOTATION.includeOutboundIPRanges, interception.includeIPRanges),
    excludeIPRanges: annotationOr(context, ANNOTATION.excludeOutboundIPRanges, interception.excludeIPRanges),
    includeInboundPorts: annotationOr(context, ANNOTATION.includeInboundPorts, interception.includeInboundPorts),
    excludeInboundPorts: excludeInboundPort(
      statusPort(context),
      annotationOr(context, ANNOTATION.excludeInboundPorts, interception.excludeInboundPorts),
    ),
    includeOutboundPorts:
      hasAnnotation(context, ANNOTATION.includeOutboundPorts) || interception.includeOutboundPorts !== ''
        ? annotationOr(context, ANNOTATION.includeOutboundPorts, interception.includeOutboundPorts)
        : undefined,
    excludeOutboundPorts:
      hasAnnotation(context, ANNOTATION.excludeOutboundPorts) || interception.excludeOutboundPorts !== ''
        ? annotationOr(context, ANNOTATION.excludeOutboundPorts, interception.excludeOutboundPorts)
        : undefined,
    // istio.io/reroute-virtual-interfaces wins over the older kubevirtInterfaces annotation.
    virtualInterfaces: annotations[ANNOTATION.rerouteVirtualInterfaces] ?? annotations[ANNOTATION.kubevirtInterfaces],
    excludeInterfaces: annotations[ANNOTATION.excludeInterfaces],
    agentLogLevel: annotationOr(context, ANNOTATION.agentLogLevel, proxy.agentLogLevel),
  };
}

function initContainer(context: TemplateContext): V1Container {
  const { config, proxyConfig } = context;
  const mode = interceptionMode(context);
  const tproxy = mode === 'TPROXY';
  const t = traffic(context);
  const args = [
    'istio-iptables',
    '-p',
    String(config.mesh.proxyListenPort || 15001),
    '-z',
    String(config.mesh.proxyInboundListenPort || 15006),
    '-u',
    String(tproxy ? 1337 : context.proxyUID),
    '-m',
    mode,
    '-i',
    t.includeIPRanges,
    '-x',
    t.excludeIPRanges,
    '-b',
    t.includeInboundPorts,
    '-d',
    t.excludeInboundPorts ? `15090,15021,${t.excludeInboundPorts}` : '15090,15021',
  ];
  if (t.includeOutboundPorts !== undefined) args.push('-q', t.includeOutboundPorts);
  if (t.excludeOutboundPorts !== undefined) args.push('-o', t.excludeOutboundPorts);
  if (t.virtualInterfaces !== undefined) args.push('-k', t.virtualInterfaces);
  if (t.excludeInterfaces !== undefined) args.push('-c', t.excludeInterfaces);
  args.push(`--log_output_level=${t.agentLogLevel}`);
  if (config.proxy.logAsJson) args.push('--log_as_json');
  if (config.cni) args.push('--run-validation', '--skip-rule-apply');

  const privileged = config.proxy.privileged;
  const securityContext: V1SecurityContext = config.cni
    ? {
        allowPrivilegeEscalation: privileged,
        privileged,
        capabilities: { drop: ['ALL'] },
        readOnlyRootFilesystem: true,
        runAsGroup: tproxy ? 1337 : context.proxyGID,
        runAsUser: tproxy ? 1337 : context.proxyUID,
        runAsNonRoot: true,
      }
    : {
        allowPrivilegeEscalation: privileged,
        privileged,
        capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
        readOnlyRootFilesystem: false,
        runAsGroup: 0,
        runAsNonRoot: false,
        runAsUser: 0,
      };
  if (config.proxy.seccompProfile) securityContext.seccompProfile = config.proxy.seccompProfile;

  const container: V1Container = {
    name: config.cni ? CONTAINER.validation : CONTAINER.init,
    image: imageFor(context, config.proxyInitImageName),
    args,
    resources: proxyResources(context, true),
    securityContext,
  };
  if (config.imagePullPolicy) container.imagePullPolicy = config.imagePullPolicy;
  const metadataEnv = proxyMetadataEnv(proxyConfig);
  if (metadataEnv.length > 0) container.env = metadataEnv;
  return container;
}

function proxyLifecycle(context: TemplateContext): V1Lifecycle | undefined {
  const { config } = context;
  if (config.proxy.lifecycle) return config.proxy.lifecycle;
  if (holdApplication(context) && !context.nativeSidecar) {
    return { postStart: { exec: { command: ['pilot-agent', 'wait'] } } };
  }
  if (context.nativeSidecar) {
    // The kubelet runs preStop when the pod starts terminating: drain now, SIGTERM arrives after the apps stop.
    return {
      preStop: { exec: { command: ['pilot-agent', 'request', `--debug-port=${statusPort(context)}`, 'POST', 'drain'] } },
    };
  }
  return undefined;
}

function proxyEnv(context: TemplateContext): V1EnvVar[] {
  const { config, proxyConfig } = context;
  const env: V1EnvVar[] = [];
  if (config.mesh.inboundTrafficPolicyMode === 'LOCALHOST') env.push(valueEnv('REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION', 'true'));
  env.push(
    ...identityEnv(config),
    // The template writes PROXY_CONFIG as a literal block, hence the trailing newline.
    valueEnv('PROXY_CONFIG', `${proxyConfigJson(proxyConfig)}\n`),
    valueEnv('ISTIO_META_POD_PORTS', podPortsEnvValue(context.spec)),
    valueEnv('ISTIO_META_APP_CONTAINERS', appContainerNames(context).join(',')),
    resourceFieldRefEnv('GOMEMLIMIT', 'limits.memory'),
    resourceFieldRefEnv('GOMAXPROCS', 'limits.cpu'),
    valueEnv('ISTIO_META_CLUSTER_ID', config.clusterId || 'Kubernetes'),
    fieldRefEnv('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    valueEnv(
      'ISTIO_META_INTERCEPTION_MODE',
      context.metadata.annotations?.[ANNOTATION.interceptionMode] || (proxyConfig.interceptionMode ?? 'REDIRECT'),
    ),
  );
  if (config.network) env.push(valueEnv('ISTIO_META_NETWORK', config.network));
  env.push(...workloadEnv(context));
  if (hasAnnotation(context, ANNOTATION.bootstrapOverride)) {
    env.push(valueEnv('ISTIO_BOOTSTRAP_OVERRIDE', '/etc/istio/custom-bootstrap/custom_bootstrap.json'));
  }
  env.push(...meshIdentityEnv(config), ...proxyMetadataEnv(proxyConfig));
  return env;
}

function proxySecurityContext(context: TemplateContext): V1SecurityContext {
  const { config, proxyConfig } = context;
  const tproxy = interceptionMode(context) === 'TPROXY';
  const capNetBindService = annotationOr(context, ANNOTATION.capNetBindService, 'false') === 'true';
  let securityContext: V1SecurityContext;
  if (proxyConfig.proxyMetadata?.['IPTABLES_TRACE_LOGGING'] === 'true') {
    securityContext = {
      allowPrivilegeEscalation: true,
      capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      privileged: true,
      readOnlyRootFilesystem: true,
      runAsGroup: context.proxyGID,
      runAsNonRoot: false,
      runAsUser: 0,
    };
  } else {
    const add = [...(tproxy ? ['NET_ADMIN'] : []), ...(capNetBindService ? ['NET_BIND_SERVICE'] : [])];
    const root = tproxy || capNetBindService;
    securityContext = {
      allowPrivilegeEscalation: config.proxy.privileged,
      capabilities: add.length > 0 ? { add, drop: ['ALL'] } : { drop: ['ALL'] },
      privileged: config.proxy.privileged,
      readOnlyRootFilesystem: true,
      runAsGroup: context.proxyGID,
      runAsNonRoot: !root,
      runAsUser: root ? 0 : context.proxyUID,
    };
  }
  if (config.proxy.seccompProfile) securityContext.seccompProfile = config.proxy.seccompProfile;
  return securityContext;
}

/** `sidecar.istio.io/userVolumeMount` / `userVolume`: JSON maps of name -> mount / volume source, in name order. */
function userEntries(context: TemplateContext, annotation: string): [string, Record<string, unknown>][] {
  const text = context.metadata.annotations?.[annotation];
  if (text === undefined) return [];
  let parsed: Record<string, Record<string, unknown>>;
  try {
    parsed = JSON.parse(text) as Record<string, Record<string, unknown>>;
  } catch {
    return []; // Istio's fromJSON template function yields an empty map for invalid JSON
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  return Object.keys(parsed)
    .sort()
    .map((name) => [name, parsed[name]!]);
}

function proxyVolumeMounts(context: TemplateContext): V1VolumeMount[] {
  const { config } = context;
  const mounts: V1VolumeMount[] = [
    { mountPath: '/var/run/secrets/workload-spiffe-uds', name: 'workload-socket' },
    { mountPath: '/var/run/secrets/credential-uds', name: 'credential-socket' },
    { mountPath: '/var/run/secrets/workload-spiffe-credentials', name: 'workload-certs' },
  ];
  if (config.pilotCertProvider === 'istiod') mounts.push({ mountPath: '/var/run/secrets/istio', name: 'istiod-ca-cert' });
  mounts.push(
    { mountPath: '/var/run/secrets/istio/crl', name: 'istio-ca-crl' },
    { mountPath: '/var/lib/istio/data', name: 'istio-data' },
  );
  if (hasAnnotation(context, ANNOTATION.bootstrapOverride)) {
    mounts.push({ mountPath: '/etc/istio/custom-bootstrap', name: 'custom-bootstrap-volume' });
  }
  mounts.push({ mountPath: '/etc/istio/proxy', name: 'istio-envoy' }, { mountPath: '/var/run/secrets/tokens', name: 'istio-token' });
  if (config.mountMtlsCerts) mounts.push(MTLS_CERTS_MOUNT);
  mounts.push({ mountPath: '/etc/istio/pod', name: 'istio-podinfo' });
  for (const [name, mount] of userEntries(context, ANNOTATION.userVolumeMount)) mounts.push({ ...mount, name } as V1VolumeMount);
  return mounts;
}

function volumes(context: TemplateContext): V1Volume[] {
  const { config } = context;
  // The template writes `emptyDir:` with no value for these three; the API server defaults it to {}.
  const list: V1Volume[] = [{ name: 'workload-socket' }, { name: 'credential-socket' }, { name: 'workload-certs' }];
  const bootstrap = context.metadata.annotations?.[ANNOTATION.bootstrapOverride];
  if (bootstrap !== undefined) list.push({ name: 'custom-bootstrap-volume', configMap: { name: bootstrap } });
  list.push(
    { emptyDir: { medium: 'Memory' }, name: 'istio-envoy' },
    { name: 'istio-data', emptyDir: {} },
    PODINFO_VOLUME,
    tokenVolume(config),
  );
  if (config.pilotCertProvider === 'istiod') list.push(caCertVolume(config));
  list.push({ name: 'istio-ca-crl', configMap: { name: 'istio-ca-crl', optional: true } });
  if (config.mountMtlsCerts) list.push(mtlsCertsVolume(context));
  for (const [name, source] of userEntries(context, ANNOTATION.userVolume)) list.push({ name, ...source } as V1Volume);
  return list;
}

function proxyContainer(context: TemplateContext): V1Container {
  const { config } = context;
  const args = [
    'proxy',
    'sidecar',
    '--domain',
    `$(POD_NAMESPACE).svc.${config.clusterDomain}`,
    `--proxyLogLevel=${annotationOr(context, ANNOTATION.logLevel, config.proxy.logLevel)}`,
    `--proxyComponentLogLevel=${annotationOr(context, ANNOTATION.componentLogLevel, config.proxy.componentLogLevel)}`,
    `--log_output_level=${annotationOr(context, ANNOTATION.agentLogLevel, config.proxy.agentLogLevel)}`,
  ];
  if (config.proxy.logAsJson) args.push('--log_as_json');
  const container: V1Container = {
    name: CONTAINER.proxy,
    image: imageFor(context, config.proxyImageName),
    ports: [{ containerPort: 15090, protocol: 'TCP', name: 'http-envoy-prom' }],
    args,
    env: proxyEnv(context),
    resources: proxyResources(context, true),
    securityContext: proxySecurityContext(context),
    volumeMounts: proxyVolumeMounts(context),
  };
  const lifecycle = proxyLifecycle(context);
  if (lifecycle) container.lifecycle = lifecycle;
  if (config.imagePullPolicy) container.imagePullPolicy = config.imagePullPolicy;
  if (statusPort(context) !== '0') {
    container.readinessProbe = readinessProbe(context);
    if (config.proxy.startupProbe.enabled) {
      container.startupProbe = {
        httpGet: { path: '/healthz/ready', port: 15021 },
        periodSeconds: 1,
        timeoutSeconds: 3,
        failureThreshold: config.proxy.startupProbe.failureThreshold,
      };
    }
  }
  if (context.nativeSidecar) container.restartPolicy = 'Always';
  return container;
}

function cniAnnotations(context: TemplateContext): Record<string, string> {
  const t = traffic(context);
  const annotations: Record<string, string> = { [ANNOTATION.interceptionMode]: interceptionMode(context) };
  if (t.includeIPRanges) annotations[ANNOTATION.includeOutboundIPRanges] = t.includeIPRanges;
  if (t.excludeIPRanges) annotations[ANNOTATION.excludeOutboundIPRanges] = t.excludeIPRanges;
  annotations[ANNOTATION.includeInboundPorts] = t.includeInboundPorts;
  annotations[ANNOTATION.excludeInboundPorts] = t.excludeInboundPorts;
  if (t.includeOutboundPorts !== undefined) annotations[ANNOTATION.includeOutboundPorts] = t.includeOutboundPorts;
  if (t.excludeOutboundPorts !== undefined) annotations[ANNOTATION.excludeOutboundPorts] = t.excludeOutboundPorts;
  const own = context.metadata.annotations ?? {};
  for (const name of [ANNOTATION.kubevirtInterfaces, ANNOTATION.rerouteVirtualInterfaces, ANNOTATION.excludeInterfaces]) {
    if (own[name]) annotations[name] = own[name];
  }
  return annotations;
}

export const sidecarTemplate: InjectionTemplate = (context) => {
  const { config, proxyConfig } = context;
  const labels: Record<string, string> = {
    [LABEL.tlsMode]: context.metadata.labels?.[LABEL.tlsMode] || 'istio',
    ...canonicalLabels(context),
  };
  if (proxyConfig.proxyMetadata?.['ISTIO_META_ENABLE_HBONE'] === 'true') {
    labels[LABEL.tunnel] = context.metadata.labels?.[LABEL.tunnel] || 'http';
  }
  const annotations = {
    ...revisionAnnotation(config),
    ...defaultContainerAnnotations(context),
    ...(config.cni ? cniAnnotations(context) : {}),
  };

  const initContainers: V1Container[] = [];
  if (interceptionMode(context) !== 'NONE') initContainers.push(initContainer(context));
  const proxy = proxyContainer(context);
  if (context.nativeSidecar) initContainers.push(proxy);

  const overlay: PodOverlay = {
    metadata: { labels, annotations },
    spec: { initContainers, volumes: volumes(context) },
  };
  if (!context.nativeSidecar) overlay.spec.containers = [proxy];
  const secrets = imagePullSecrets(config);
  if (secrets) overlay.spec.imagePullSecrets = secrets;
  return overlay;
};
