// The version catalogue: every Istio version meshloom can install, its images, and how its sidecar injector
// behaves where versions differ. Version policy (skew, downgrades) lives in the reconciler; this file only
// answers "is it supported, and what does it consist of".

/** Registry prefix of Istio's published release images. */
export const DEFAULT_HUB = 'docker.io/istio';

/** The images one Istio release consists of, by Istio's image names. */
export const ISTIO_IMAGES = ['pilot', 'proxyv2', 'ztunnel', 'install-cni'] as const;
export type IstioImage = (typeof ISTIO_IMAGES)[number];

/**
 * Injector behaviour that has changed across Istio releases, so the webhook renders what the version being
 * installed would render. Each field names the Istio change it tracks.
 */
export interface InjectionBehaviour {
  /**
   * `divisor` written on every `resourceFieldRef` env of the proxy (ISTIO_CPU_LIMIT, GOMEMLIMIT, GOMAXPROCS).
   * Istio renders "1" since istio/istio#58077 (Oct 2025, before the 1.29 branch); older releases left it
   * unset, which the API server stores as "0".
   */
  resourceFieldRefDivisor: '0' | '1';
  /** Whether the proxy gets GOMAXPROCS from limits.cpu (removed on Istio master after 1.30). */
  gomaxprocsEnv: boolean;
  /** Whether `global.proxy.seccompProfile` exists, rendered on istio-init/istio-validation and istio-proxy. */
  proxySeccompProfile: boolean;
  /** Lowest kubelet minor version for which `Auto` native sidecars turn on (ENABLE_NATIVE_SIDECARS=auto). */
  nativeSidecarMinKubeletMinor: number;
}

export interface CatalogueEntry {
  /** Istio version, MAJOR.MINOR.PATCH. */
  version: string;
  /** Image tag of the release (Istio tags images with the bare version). */
  tag: string;
  injection: InjectionBehaviour;
}

/** Injection as Istio 1.29.x and 1.30.x do it; verified against the 1.30.3 goldens and the 1.29.8 chart values. */
const INJECTION_1_29_TO_1_30: InjectionBehaviour = {
  resourceFieldRefDivisor: '1',
  gomaxprocsEnv: true,
  proxySeccompProfile: true,
  nativeSidecarMinKubeletMinor: 33,
};

/** Newest first. 1.29.8 is the latest 1.29 patch release found (Sail Operator vendors charts up to v1.29.8). */
const CATALOGUE: readonly CatalogueEntry[] = [
  { version: '1.30.3', tag: '1.30.3', injection: INJECTION_1_29_TO_1_30 },
  { version: '1.29.8', tag: '1.29.8', injection: INJECTION_1_29_TO_1_30 },
];

export class UnsupportedVersionError extends Error {
  constructor(
    readonly version: string,
    readonly supported: readonly string[],
  ) {
    super(
      `Istio version "${version}" is not in meshloom's catalogue; set spec.version to one of: ${supported.join(', ')}`,
    );
    this.name = 'UnsupportedVersionError';
  }
}

/** Supported versions, newest first. */
export function supportedVersions(): string[] {
  return CATALOGUE.map((entry) => entry.version);
}

export function catalogueEntry(version: string): CatalogueEntry {
  const entry = CATALOGUE.find((candidate) => candidate.version === version);
  if (!entry) throw new UnsupportedVersionError(version, supportedVersions());
  return entry;
}

/** Full image reference, e.g. `docker.io/istio/pilot:1.30.3`; `hub` is spec.hub when the user set one. */
export function imageRef(entry: CatalogueEntry, image: IstioImage, hub: string = DEFAULT_HUB): string {
  return `${hub.replace(/\/+$/, '')}/${image}:${entry.tag}`;
}

/** Istio's revision name for a version: `1.30.3` → `1-30-3` (dots are not valid in label-derived names). */
export function revisionName(version: string): string {
  return version.replaceAll('.', '-');
}
