// Profiles: the defaults a MeshInstallation starts from. resolveSpec() is pure: it fills in what the user left
// out, and never overrides what the user wrote. The CRD deliberately carries no schema defaults for these
// fields, so "absent" here really means "the user did not say".
import { durationSeconds } from './duration.js';
import type {
  GatewayServicePort,
  GatewaySpec,
  MeshInstallationSpec,
  ResourceRequirements,
} from './v1alpha1/index.js';

export const PROFILES = ['default', 'ambient', 'minimal', 'demo'] as const;
export type Profile = (typeof PROFILES)[number];

export const DEFAULT_CONTROL_PLANE_NAMESPACE = 'istio-system';
/** Istio's terminationDrainDuration when nothing sets it. */
export const ISTIO_DEFAULT_DRAIN = '5s';
/** Istio's MINIMUM_DRAIN_DURATION when nothing sets it. */
export const ISTIO_DEFAULT_MINIMUM_DRAIN = '5s';
/** Default grace period = drain + this margin, so the default always satisfies grace > drain. */
export const GRACE_MARGIN_SECONDS = 30;

export interface ResolvedAutoscaling {
  minReplicas: number;
  maxReplicas: number;
  targetCPUUtilizationPercentage: number;
}

export type ResolvedServicePort = Required<Pick<GatewayServicePort, 'name' | 'port' | 'targetPort' | 'protocol'>> &
  Pick<GatewayServicePort, 'nodePort'>;

export interface ResolvedGateway {
  name: string;
  namespace: string;
  type: 'Ingress' | 'Egress';
  replicas: number;
  resources: ResourceRequirements;
  autoscaling?: ResolvedAutoscaling;
  service: {
    type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
    externalTrafficPolicy?: 'Cluster' | 'Local';
    annotations: Record<string, string>;
    ports: ResolvedServicePort[];
  };
  proxyProtocol: boolean;
  drain: { duration: string; exitOnZeroActiveConnections: boolean; minimumDuration: string };
  terminationGracePeriodSeconds: number;
}

/** A spec with every default applied: what the charts render from. */
export interface ResolvedSpec {
  version: string;
  profile: Profile;
  namespace: string;
  hub?: string;
  controlPlane: { replicas: number; resources: ResourceRequirements; autoscaling?: ResolvedAutoscaling };
  nodeTunnel: { enabled: boolean; resources: ResourceRequirements; terminationGracePeriodSeconds: number };
  gateways: ResolvedGateway[];
  injection: {
    enabled: boolean;
    nativeSidecars: 'Auto' | 'Enabled' | 'Disabled';
    drainDuration: string;
    gracePeriodPolicy: 'Adjust' | 'Warn' | 'Reject';
  };
  meshConfig: { mtls: 'STRICT' | 'PERMISSIVE'; accessLogging: boolean; trustDomain: string };
  certificates:
    | { provider: 'SelfSigned' }
    | { provider: 'CertManager'; issuerRef: { kind: 'Issuer' | 'ClusterIssuer'; name: string; group: string } };
  updateStrategy: {
    type: 'InPlace' | 'RevisionBased';
    inactiveRevisionDeletionGracePeriodSeconds: number;
    progressDeadlineSeconds: number;
    workloads: { restart: boolean; batchSize: number; pauseBetweenBatches: string };
  };
}

/** A spec the API server would have refused (the CRD's CEL rules); raised when rendering offline. */
export class InvalidSpecError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
    this.name = 'InvalidSpecError';
  }
}

interface ProfileDefaults {
  controlPlaneResources: ResourceRequirements;
  gatewayResources: ResourceRequirements;
  gateways: GatewaySpec[];
  nodeTunnel: boolean;
  injection: boolean;
  accessLogging: boolean;
}

// Istio's chart defaults: istiod requests 500m/2048Mi; gateways 100m/128Mi with 2 CPU / 1Gi limits.
const ISTIOD_RESOURCES: ResourceRequirements = { requests: { cpu: '500m', memory: '2048Mi' } };
const GATEWAY_RESOURCES: ResourceRequirements = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '2000m', memory: '1024Mi' },
};
// Istio's demo profile sizes: enough to run on a laptop.
const DEMO_ISTIOD_RESOURCES: ResourceRequirements = { requests: { cpu: '10m', memory: '100Mi' } };
const DEMO_GATEWAY_RESOURCES: ResourceRequirements = {
  requests: { cpu: '10m', memory: '40Mi' },
  limits: { cpu: '2000m', memory: '1024Mi' },
};
const ZTUNNEL_RESOURCES: ResourceRequirements = { requests: { cpu: '200m', memory: '512Mi' } };

const INGRESS_GATEWAY: GatewaySpec = { name: 'ingressgateway', type: 'Ingress' };
const EGRESS_GATEWAY: GatewaySpec = { name: 'egressgateway', type: 'Egress' };

const PROFILE_DEFAULTS: Record<Profile, ProfileDefaults> = {
  default: {
    controlPlaneResources: ISTIOD_RESOURCES,
    gatewayResources: GATEWAY_RESOURCES,
    gateways: [INGRESS_GATEWAY],
    nodeTunnel: false,
    injection: true,
    accessLogging: false,
  },
  ambient: {
    controlPlaneResources: ISTIOD_RESOURCES,
    gatewayResources: GATEWAY_RESOURCES,
    gateways: [],
    nodeTunnel: true,
    injection: false,
    accessLogging: false,
  },
  minimal: {
    controlPlaneResources: ISTIOD_RESOURCES,
    gatewayResources: GATEWAY_RESOURCES,
    gateways: [],
    nodeTunnel: false,
    injection: false,
    accessLogging: false,
  },
  demo: {
    controlPlaneResources: DEMO_ISTIOD_RESOURCES,
    gatewayResources: DEMO_GATEWAY_RESOURCES,
    gateways: [INGRESS_GATEWAY, EGRESS_GATEWAY],
    nodeTunnel: false,
    injection: true,
    accessLogging: true,
  },
};

/** Istio's default gateway ports: the health port, then HTTP and HTTPS on unprivileged target ports. */
const DEFAULT_PORTS: Record<ResolvedGateway['type'], GatewayServicePort[]> = {
  Ingress: [
    { name: 'status-port', port: 15021, targetPort: 15021 },
    { name: 'http2', port: 80, targetPort: 8080 },
    { name: 'https', port: 443, targetPort: 8443 },
  ],
  Egress: [
    { name: 'http2', port: 80, targetPort: 8080 },
    { name: 'https', port: 443, targetPort: 8443 },
  ],
};

function resolveAutoscaling(spec: GatewaySpec['autoscaling']): ResolvedAutoscaling | undefined {
  if (!spec) return undefined;
  return {
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas,
    targetCPUUtilizationPercentage: spec.targetCPUUtilizationPercentage ?? 80,
  };
}

function resolveGateway(gateway: GatewaySpec, defaults: ProfileDefaults): ResolvedGateway {
  const type = gateway.type ?? 'Ingress';
  const drainDuration = gateway.drain?.duration ?? ISTIO_DEFAULT_DRAIN;
  const drainSeconds = durationSeconds(drainDuration);
  const grace = gateway.terminationGracePeriodSeconds ?? Math.ceil(drainSeconds) + GRACE_MARGIN_SECONDS;
  if (grace <= drainSeconds) {
    throw new InvalidSpecError(
      `spec.gateways[${gateway.name}].terminationGracePeriodSeconds`,
      `${grace}s must be greater than drain.duration (${drainDuration}): raise terminationGracePeriodSeconds or shorten drain.duration`,
    );
  }
  const serviceType = gateway.service?.type ?? (type === 'Ingress' ? 'LoadBalancer' : 'ClusterIP');
  return {
    name: gateway.name,
    namespace: gateway.namespace ?? (type === 'Ingress' ? 'istio-ingress' : 'istio-egress'),
    type,
    replicas: gateway.replicas ?? 1,
    resources: gateway.resources ?? defaults.gatewayResources,
    autoscaling: resolveAutoscaling(gateway.autoscaling),
    service: {
      type: serviceType,
      externalTrafficPolicy: gateway.service?.externalTrafficPolicy,
      annotations: definedValues(gateway.service?.annotations ?? {}),
      ports: (gateway.service?.ports ?? DEFAULT_PORTS[type]).map((port) => ({
        name: port.name,
        port: port.port,
        targetPort: port.targetPort ?? port.port,
        protocol: port.protocol ?? 'TCP',
        nodePort: port.nodePort,
      })),
    },
    proxyProtocol: gateway.proxyProtocol ?? false,
    drain: {
      duration: drainDuration,
      exitOnZeroActiveConnections: gateway.drain?.exitOnZeroActiveConnections ?? false,
      minimumDuration: gateway.drain?.minimumDuration ?? ISTIO_DEFAULT_MINIMUM_DRAIN,
    },
    terminationGracePeriodSeconds: grace,
  };
}

function assertUniqueGatewayNames(gateways: readonly GatewaySpec[]): void {
  const seen = new Set<string>();
  for (const { name } of gateways) {
    if (seen.has(name)) {
      throw new InvalidSpecError('spec.gateways[].name', `"${name}" is used twice; give every gateway its own name`);
    }
    seen.add(name);
  }
}

/** Applies the profile's defaults to every field the user left out. Pure. */
export function resolveSpec(spec: MeshInstallationSpec): ResolvedSpec {
  const profile = spec.profile ?? 'default';
  const defaults = PROFILE_DEFAULTS[profile];
  // A gateways list written by the user replaces the profile's list as a whole: an empty list means none.
  const gateways = spec.gateways ?? defaults.gateways;
  assertUniqueGatewayNames(gateways);
  const issuerRef = spec.certificates?.issuerRef;
  return {
    version: spec.version,
    profile,
    namespace: spec.namespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE,
    hub: spec.hub,
    controlPlane: {
      replicas: spec.controlPlane?.replicas ?? 1,
      resources: spec.controlPlane?.resources ?? defaults.controlPlaneResources,
      autoscaling: resolveAutoscaling(spec.controlPlane?.autoscaling),
    },
    nodeTunnel: {
      enabled: spec.nodeTunnel?.enabled ?? defaults.nodeTunnel,
      resources: spec.nodeTunnel?.resources ?? ZTUNNEL_RESOURCES,
      terminationGracePeriodSeconds: spec.nodeTunnel?.terminationGracePeriodSeconds ?? 30,
    },
    gateways: gateways.map((gateway) => resolveGateway(gateway, defaults)),
    injection: {
      enabled: spec.injection?.enabled ?? defaults.injection,
      nativeSidecars: spec.injection?.nativeSidecars ?? 'Auto',
      drainDuration: spec.injection?.drainDuration ?? ISTIO_DEFAULT_DRAIN,
      gracePeriodPolicy: spec.injection?.gracePeriodPolicy ?? 'Adjust',
    },
    meshConfig: {
      mtls: spec.meshConfig?.mtls ?? 'PERMISSIVE',
      accessLogging: spec.meshConfig?.accessLogging ?? defaults.accessLogging,
      trustDomain: spec.meshConfig?.trustDomain ?? 'cluster.local',
    },
    certificates:
      spec.certificates?.provider === 'CertManager'
        ? {
            provider: 'CertManager',
            issuerRef: {
              kind: issuerRef?.kind ?? 'Issuer',
              name: requireIssuerName(issuerRef?.name),
              group: issuerRef?.group ?? 'cert-manager.io',
            },
          }
        : { provider: 'SelfSigned' },
    updateStrategy: {
      type: spec.updateStrategy?.type ?? 'InPlace',
      inactiveRevisionDeletionGracePeriodSeconds: spec.updateStrategy?.inactiveRevisionDeletionGracePeriodSeconds ?? 30,
      // Deployment's own default progressDeadlineSeconds.
      progressDeadlineSeconds: spec.updateStrategy?.progressDeadlineSeconds ?? 600,
      workloads: {
        restart: spec.updateStrategy?.workloads?.restart ?? false,
        batchSize: spec.updateStrategy?.workloads?.batchSize ?? 1,
        pauseBetweenBatches: spec.updateStrategy?.workloads?.pauseBetweenBatches ?? '30s',
      },
    },
  };
}

function definedValues(map: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function requireIssuerName(name: string | undefined): string {
  if (!name) {
    throw new InvalidSpecError('spec.certificates.issuerRef', 'is required when provider is CertManager');
  }
  return name;
}
