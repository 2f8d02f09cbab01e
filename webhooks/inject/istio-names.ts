// Names of the Istio annotations, labels and containers the injector reads or writes (istio.io/api
// annotation/label packages). Kept in one place so template, validation and post-processing agree.

export const ANNOTATION = {
  inject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  proxyImage: 'sidecar.istio.io/proxyImage',
  proxyImageType: 'sidecar.istio.io/proxyImageType',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  proxyCPU: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  logLevel: 'sidecar.istio.io/logLevel',
  componentLogLevel: 'sidecar.istio.io/componentLogLevel',
  agentLogLevel: 'sidecar.istio.io/agentLogLevel',
  rewriteAppHTTPProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  nativeSidecar: 'sidecar.istio.io/nativeSidecar',
  bootstrapOverride: 'sidecar.istio.io/bootstrapOverride',
  userVolume: 'sidecar.istio.io/userVolume',
  userVolumeMount: 'sidecar.istio.io/userVolumeMount',
  capNetBindService: 'sidecar.istio.io/capNetBindService',
  enableCoreDump: 'sidecar.istio.io/enableCoreDump',
  statusPort: 'status.sidecar.istio.io/port',
  readinessInitialDelaySeconds: 'readiness.status.sidecar.istio.io/initialDelaySeconds',
  readinessPeriodSeconds: 'readiness.status.sidecar.istio.io/periodSeconds',
  readinessFailureThreshold: 'readiness.status.sidecar.istio.io/failureThreshold',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  kubevirtInterfaces: 'traffic.sidecar.istio.io/kubevirtInterfaces',
  excludeInterfaces: 'traffic.sidecar.istio.io/excludeInterfaces',
  rerouteVirtualInterfaces: 'istio.io/reroute-virtual-interfaces',
  injectTemplates: 'inject.istio.io/templates',
  proxyConfig: 'proxy.istio.io/config',
  proxyOverrides: 'proxy.istio.io/overrides',
  prometheusMergeMetrics: 'prometheus.istio.io/merge-metrics',
  revision: 'istio.io/rev',
  defaultContainer: 'kubectl.kubernetes.io/default-container',
  defaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
} as const;

export const LABEL = {
  inject: 'sidecar.istio.io/inject',
  tlsMode: 'security.istio.io/tlsMode',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
  workloadName: 'service.istio.io/workload-name',
  network: 'topology.istio.io/network',
  tunnel: 'networking.istio.io/tunnel',
} as const;

export const CONTAINER = {
  proxy: 'istio-proxy',
  init: 'istio-init',
  validation: 'istio-validation',
  enableCoreDump: 'enable-core-dump',
} as const;

/** Proxy env names that the webhook URL (`/inject/cluster/<id>/net/<network>`) can override. */
export const ENV = {
  clusterId: 'ISTIO_META_CLUSTER_ID',
  network: 'ISTIO_META_NETWORK',
  appProbers: 'ISTIO_KUBE_APP_PROBERS',
  prometheusAnnotations: 'ISTIO_PROMETHEUS_ANNOTATIONS',
} as const;

/** The image value that means "keep the injected image" in a user-supplied istio-proxy container. */
export const AUTO_IMAGE = 'auto';

/** Namespaces istiod never injects into, whatever their labels say (initializer.go). */
export const IGNORED_NAMESPACES: ReadonlySet<string> = new Set([
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'local-path-storage',
]);

/** Istio's default proxy UID/GID (istio-iptables DefaultProxyUID). */
export const DEFAULT_PROXY_UID = 1337;
