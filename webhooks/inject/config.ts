import type { InjectionConfig } from './types.js';

/**
 * The settings Istio 1.30.3's own injection tests run with: the `default` profile's Helm values, the
 * injector config and mesh defaults (testdata/istio-1.30.3/CASES.md, "Harness configuration").
 * Tests, the CLI and `injectionConfigForMesh` start from this and override what differs.
 */
export function defaultInjectionConfig(): InjectionConfig {
  return {
    hub: 'registry.istio.io/testing',
    tag: 'latest',
    variant: '',
    proxyImageName: 'proxyv2',
    proxyInitImageName: 'proxyv2',
    imagePullPolicy: '',
    imagePullSecrets: [],
    istioNamespace: 'istio-system',
    revision: '',
    caAddress: '',
    pilotCertProvider: 'istiod',
    tokenAudience: 'istio-ca',
    trustBundleName: '',
    mountMtlsCerts: false,
    clusterDomain: 'cluster.local',
    clusterId: '',
    network: '',
    meshId: '',
    nativeSidecars: {
      mode: 'auto',
      nodes: [
        { name: 'node-1-33', kubeletVersion: 'v1.33.0' },
        { name: 'node-1-34', kubeletVersion: 'v1.34.0' },
      ],
    },
    cni: false,
    interception: {
      includeIPRanges: '*',
      excludeIPRanges: '',
      includeInboundPorts: '*',
      excludeInboundPorts: '',
      includeOutboundPorts: '',
      excludeOutboundPorts: '',
    },
    proxy: {
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '2000m', memory: '1024Mi' } },
      logLevel: 'warning',
      componentLogLevel: 'misc:error',
      agentLogLevel: 'default:info',
      logAsJson: false,
      statusPort: 15020,
      readiness: { initialDelaySeconds: 0, periodSeconds: 15, failureThreshold: 4 },
      startupProbe: { enabled: true, failureThreshold: 600 },
      holdApplicationUntilProxyStarts: false,
      privileged: false,
    },
    mesh: {
      defaultConfig: { discoveryAddress: 'istiod.istio-system.svc:15012' },
      trustDomain: 'cluster.local',
      enablePrometheusMerge: true,
      inboundTrafficPolicyMode: 'PASSTHROUGH',
      proxyListenPort: 15001,
      proxyInboundListenPort: 15006,
    },
    policy: 'enabled',
    neverInjectSelector: [],
    alwaysInjectSelector: [],
    injectedAnnotations: {},
    defaultTemplates: ['sidecar'],
    rewriteAppHTTPProbe: true,
  };
}
