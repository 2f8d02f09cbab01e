// Public types of the injection engine. Plain TypeScript shapes only: the engine must stay free of
// @kubernetes/client-node at runtime (import cost in the webhook), so its model classes are used as types.
import type {
  V1Container,
  V1LabelSelector,
  V1Lifecycle,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  V1SeccompProfile,
} from '@kubernetes/client-node';

export type Pod = V1Pod;
export type PodSpec = V1PodSpec;
export type Container = V1Container;
export type ObjectMeta = V1ObjectMeta;
export type LabelSelector = V1LabelSelector;

/**
 * Istio's ProxyConfig (istio.mesh.v1alpha1.ProxyConfig) in its protobuf-JSON form (camelCase keys,
 * durations as strings such as "5s"). Only the fields the injector reads are named; the rest pass through.
 */
export interface ProxyConfig {
  configPath?: string;
  binaryPath?: string;
  serviceCluster?: string;
  drainDuration?: string;
  discoveryAddress?: string;
  proxyAdminPort?: number;
  controlPlaneAuthPolicy?: string;
  statNameLength?: number;
  statusPort?: number;
  terminationDrainDuration?: string;
  interceptionMode?: 'REDIRECT' | 'TPROXY' | 'NONE';
  concurrency?: number;
  holdApplicationUntilProxyStarts?: boolean;
  proxyMetadata?: Record<string, string>;
  image?: { imageType?: string };
  tracing?: Record<string, unknown>;
  [field: string]: unknown;
}

/** Kubernetes resource quantities as written in manifests ("100m", "128Mi", "2"). */
export type ResourceList = Record<string, string>;
export interface ProxyResources {
  requests?: ResourceList;
  limits?: ResourceList;
}

/** One node's kubelet version, as reported in `node.status.nodeInfo.kubeletVersion` (e.g. "v1.33.0"). */
export interface NodeKubelet {
  name: string;
  kubeletVersion: string;
}

/**
 * Native sidecars (Istio's ENABLE_NATIVE_SIDECARS): forced on/off, or `auto`, which is on only when the pod's
 * node (if `spec.nodeName` names a known node) or else every node runs kubelet >= 1.33.
 */
export type NativeSidecarSetting = boolean | { mode: 'auto'; nodes: NodeKubelet[] };

/**
 * Everything Istio's injector takes from Helm values (`global.*`, `sidecarInjectorWebhook.*`), the injector
 * config and the mesh config. Build it with `defaultInjectionConfig()` and override what differs.
 */
export interface InjectionConfig {
  /** `global.hub`, `global.tag`, `global.variant` ('' for none). */
  hub: string;
  tag: string;
  variant: string;
  /** `global.proxy.image`: an image name under the hub, or a full reference when it contains '/'. */
  proxyImageName: string;
  /** `global.proxy_init.image`: used only when it is a full reference (contains '/'); else istio-init runs the proxy image. */
  proxyInitImageName: string;
  /** `global.imagePullPolicy` ('' leaves it unset) and `global.imagePullSecrets`. */
  imagePullPolicy: '' | 'Always' | 'IfNotPresent' | 'Never';
  imagePullSecrets: string[];

  /** Namespace of istiod (`global.istioNamespace`). */
  istioNamespace: string;
  /** Control-plane revision; '' and 'default' both render as `default`. */
  revision: string;
  /** `global.caAddress`; '' means istiod[-<rev>].<istioNamespace>.svc:15012. */
  caAddress: string;
  /** `global.pilotCertProvider`. */
  pilotCertProvider: string;
  /** `global.sds.token.aud`. */
  tokenAudience: string;
  /** `global.trustBundleName` ('' means istio-ca-root-cert). */
  trustBundleName: string;
  /** `global.mountMtlsCerts`. */
  mountMtlsCerts: boolean;

  /** `global.proxy.clusterDomain`. */
  clusterDomain: string;
  /** `global.multiCluster.clusterName`; '' means `Kubernetes`. */
  clusterId: string;
  /** `global.network`; '' means none. */
  network: string;
  /** `global.meshID`; '' falls back to the trust domain. */
  meshId: string;

  nativeSidecars: NativeSidecarSetting;
  /** `pilot.cni.enabled`: istio-validation instead of istio-init. */
  cni: boolean;

  /** `global.proxy.*` traffic defaults, overridable per pod by `traffic.sidecar.istio.io/*` annotations. */
  interception: {
    includeIPRanges: string;
    excludeIPRanges: string;
    includeInboundPorts: string;
    excludeInboundPorts: string;
    includeOutboundPorts: string;
    excludeOutboundPorts: string;
  };

  proxy: {
    /** `global.proxy.resources`; also used by the init container. */
    resources: ProxyResources;
    /** `global.proxy.logLevel`, `global.proxy.componentLogLevel`, `global.logging.level`, `global.logAsJson`. */
    logLevel: string;
    componentLogLevel: string;
    agentLogLevel: string;
    logAsJson: boolean;
    /** `global.proxy.statusPort` (0 disables the probes). */
    statusPort: number;
    readiness: { initialDelaySeconds: number; periodSeconds: number; failureThreshold: number };
    startupProbe: { enabled: boolean; failureThreshold: number };
    /** `global.proxy.holdApplicationUntilProxyStarts` (OR'ed with the ProxyConfig field). */
    holdApplicationUntilProxyStarts: boolean;
    /** `global.proxy.privileged`. */
    privileged: boolean;
    /** `global.proxy.seccompProfile`, set on istio-init/istio-validation and istio-proxy; absent emits nothing. */
    seccompProfile?: V1SeccompProfile;
    /** `global.proxy.lifecycle`, replacing the template's own preStop/postStart when set. */
    lifecycle?: V1Lifecycle;
  };

  /** The parts of Istio's MeshConfig the injector reads. */
  mesh: {
    /** `defaultConfig`: the mesh-wide ProxyConfig, merged under each pod's `proxy.istio.io/config`. */
    defaultConfig: ProxyConfig;
    trustDomain: string;
    enablePrometheusMerge: boolean;
    /** `inboundTrafficPolicy.mode`; LOCALHOST adds REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION. */
    inboundTrafficPolicyMode: 'PASSTHROUGH' | 'LOCALHOST';
    proxyListenPort: number;
    proxyInboundListenPort: number;
  };

  /** Injector config (`istio-sidecar-injector` ConfigMap `config` key). */
  policy: 'enabled' | 'disabled';
  neverInjectSelector: LabelSelector[];
  alwaysInjectSelector: LabelSelector[];
  injectedAnnotations: Record<string, string>;
  defaultTemplates: string[];
  /** `sidecarInjectorWebhook.rewriteAppHTTPProbe`. */
  rewriteAppHTTPProbe: boolean;
}

/** Why a pod was left alone. */
export type SkipReason = 'hostNetwork' | 'ignoredNamespace' | 'injectDisabled' | 'neverInjectSelector' | 'policy';

/** The workload a pod belongs to, as Istio derives it (`DeploymentMeta` + `TypeMeta`). */
export interface WorkloadIdentity {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}

export interface InjectOptions {
  /**
   * The workload identity to use instead of deriving it from the pod's owner references. The manifests path
   * (`meshloom inject`) knows the enclosing object; the webhook leaves this unset.
   */
  workload?: WorkloadIdentity;
  /**
   * Proxy env from the webhook URL (`/inject/cluster/<id>/net/<network>`): ISTIO_META_CLUSTER_ID and
   * ISTIO_META_NETWORK override the configured values.
   */
  proxyEnvOverrides?: Record<string, string>;
}

export type InjectionResult =
  | { injected: true; pod: Pod; warnings: string[] }
  | { injected: false; skipReason: SkipReason; message: string; pod: Pod; warnings: string[] };

/** RFC 6902 operations as produced by `createJsonPatch`. */
export type JsonPatchOperation =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };
