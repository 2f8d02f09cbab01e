// InjectionConfig for a MeshInstallation: what meshloom's webhook (and `meshloom inject --mesh`) injects for
// the mesh that resource describes. Starts from Istio's default-profile settings and applies the spec.
import { catalogueEntry, DEFAULT_HUB, revisionName } from '../../operator/api/catalogue.js';
import { resolveSpec } from '../../operator/api/profiles.js';
import type { MeshInstallationSpec } from '../../operator/api/v1alpha1/index.js';
import { defaultInjectionConfig } from './config.js';
import type { InjectionConfig, NativeSidecarSetting, NodeKubelet } from './types.js';

export interface MeshInjectionOptions {
  /** Kubelet versions of the cluster's nodes, for `nativeSidecars: Auto`. Absent: assume all are >= 1.33. */
  nodes?: NodeKubelet[];
  /** Revision to inject for; absent means the spec's (default for InPlace, the version's for RevisionBased). */
  revision?: string;
}

function nativeSidecars(mode: 'Auto' | 'Enabled' | 'Disabled', nodes: NodeKubelet[] | undefined): NativeSidecarSetting {
  if (mode === 'Enabled') return true;
  if (mode === 'Disabled') return false;
  return { mode: 'auto', nodes: nodes ?? [] };
}

/**
 * Maps a MeshInstallation spec onto the injector settings. spec.meshConfig.mtls and accessLogging are not
 * mapped on purpose: Istio applies them in istiod's mesh config at runtime, and the injected pod is the same
 * whatever their values. Throws UnsupportedVersionError when spec.version is not in the catalogue.
 */
export function injectionConfigForMesh(spec: MeshInstallationSpec, options: MeshInjectionOptions = {}): InjectionConfig {
  const resolved = resolveSpec(spec);
  const entry = catalogueEntry(resolved.version);
  const defaults = defaultInjectionConfig();
  const revision = options.revision ?? (resolved.updateStrategy.type === 'RevisionBased' ? revisionName(resolved.version) : '');
  // A named revision's proxies talk to that revision's istiod (`istiod-<rev>`), as Istio's per-revision mesh config says.
  const istiod = revision ? `istiod-${revision}` : 'istiod';
  return {
    ...defaults,
    hub: resolved.hub ?? DEFAULT_HUB,
    tag: entry.tag,
    istioNamespace: resolved.namespace,
    revision,
    nativeSidecars: nativeSidecars(resolved.injection.nativeSidecars, options.nodes),
    mesh: {
      ...defaults.mesh,
      trustDomain: resolved.meshConfig.trustDomain,
      defaultConfig: {
        ...defaults.mesh.defaultConfig,
        discoveryAddress: `${istiod}.${resolved.namespace}.svc:15012`,
        terminationDrainDuration: resolved.injection.drainDuration,
      },
    },
  };
}
