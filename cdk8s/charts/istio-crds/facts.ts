// What Istio's API CRDs declare that @kubernetes-models/istio does not carry: resource names, printer columns
// and storage versions. Facts, not YAML: read from Istio's own CRDs (manifests/charts/base/files/
// crd-all.gen.yaml, generated from the `+cue-gen` tags of istio/api) and re-stated here. The set of kinds and
// versions, and each version's spec, come from the package (see packaged-kinds.gen.ts).

/**
 * The API groups meshloom installs (PRODUCT.md). The package also ships install.istio.io's IstioOperator, the CRD
 * of the in-cluster operator Istio removed in 1.24; it is not part of the mesh's API.
 */
export const ISTIO_API_GROUPS = ['extensions.istio.io', 'networking.istio.io', 'security.istio.io', 'telemetry.istio.io'] as const;
export type IstioApiGroup = (typeof ISTIO_API_GROUPS)[number];

/**
 * Istio minor releases whose API CRDs have the same kinds and served versions as the release the package was
 * generated from (1.29.2). No kind or version added or removed between 1.29 and 1.30 was found in istio/istio or
 * istio/api (ProxyConfig, for one, stays v1beta1-only: istio/api#3111). A catalogue version outside this list
 * must be checked against Istio's crd-all.gen.yaml before it can render CRDs.
 */
export const MINORS_WITH_PACKAGED_API_SET: readonly string[] = ['1.29', '1.30'];

export interface PrinterColumn {
  name: string;
  type: 'string' | 'date';
  jsonPath: string;
  description: string;
}

export interface IstioKindFacts {
  plural: string;
  shortNames: string[];
  /**
   * The version objects are stored at. Networking moved to v1 in Istio 1.27 (istio/api#3498) and security in
   * 1.28 (istio/api#3567); Telemetry still stores v1alpha1; single-version kinds store their only version.
   */
  storageVersion: string;
  /** `kubectl get` columns, the same for every version of the kind. */
  printerColumns: PrinterColumn[];
}

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the object was created',
};

const column = (name: string, jsonPath: string, description: string): PrinterColumn => ({ name, type: 'string', jsonPath, description });

export const ISTIO_KIND_FACTS: Record<IstioApiGroup, Record<string, IstioKindFacts>> = {
  'extensions.istio.io': {
    WasmPlugin: { plural: 'wasmplugins', shortNames: [], storageVersion: 'v1alpha1', printerColumns: [AGE] },
  },
  'networking.istio.io': {
    DestinationRule: {
      plural: 'destinationrules',
      shortNames: ['dr'],
      storageVersion: 'v1',
      printerColumns: [column('Host', '.spec.host', 'Service the rule applies to'), AGE],
    },
    EnvoyFilter: { plural: 'envoyfilters', shortNames: [], storageVersion: 'v1alpha3', printerColumns: [] },
    Gateway: { plural: 'gateways', shortNames: ['gw'], storageVersion: 'v1', printerColumns: [] },
    ProxyConfig: { plural: 'proxyconfigs', shortNames: [], storageVersion: 'v1beta1', printerColumns: [] },
    ServiceEntry: {
      plural: 'serviceentries',
      shortNames: ['se'],
      storageVersion: 'v1',
      printerColumns: [
        column('Hosts', '.spec.hosts', 'Hosts the entry adds to the registry'),
        column('Location', '.spec.location', 'MESH_EXTERNAL or MESH_INTERNAL'),
        column('Resolution', '.spec.resolution', 'How the hosts resolve to endpoints'),
        AGE,
      ],
    },
    Sidecar: { plural: 'sidecars', shortNames: [], storageVersion: 'v1', printerColumns: [] },
    VirtualService: {
      plural: 'virtualservices',
      shortNames: ['vs'],
      storageVersion: 'v1',
      printerColumns: [
        column('Gateways', '.spec.gateways', 'Gateways and sidecars that apply the routes'),
        column('Hosts', '.spec.hosts', 'Destination hosts the routes apply to'),
        AGE,
      ],
    },
    WorkloadEntry: {
      plural: 'workloadentries',
      shortNames: ['we'],
      storageVersion: 'v1',
      printerColumns: [AGE, column('Address', '.spec.address', 'Address of the workload')],
    },
    WorkloadGroup: { plural: 'workloadgroups', shortNames: ['wg'], storageVersion: 'v1', printerColumns: [AGE] },
  },
  'security.istio.io': {
    AuthorizationPolicy: {
      plural: 'authorizationpolicies',
      shortNames: ['ap'],
      storageVersion: 'v1',
      printerColumns: [column('Action', '.spec.action', 'ALLOW, DENY, AUDIT or CUSTOM'), AGE],
    },
    PeerAuthentication: {
      plural: 'peerauthentications',
      shortNames: ['pa'],
      storageVersion: 'v1',
      printerColumns: [column('Mode', '.spec.mtls.mode', 'Mutual TLS mode'), AGE],
    },
    RequestAuthentication: { plural: 'requestauthentications', shortNames: ['ra'], storageVersion: 'v1', printerColumns: [] },
  },
  'telemetry.istio.io': {
    Telemetry: { plural: 'telemetries', shortNames: ['telemetry'], storageVersion: 'v1alpha1', printerColumns: [AGE] },
  },
};
