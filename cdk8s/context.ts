// Everything a chart needs to know about one render, computed once from the MeshInstallation.
import { catalogueEntry, imageRef, revisionName, type CatalogueEntry, type IstioImage } from '../operator/api/catalogue.js';
import { resolveSpec, type ResolvedSpec } from '../operator/api/profiles.js';
import type { MeshInstallation } from '../operator/api/v1alpha1/index.js';

/** The revision name Istio uses for an in-place (unrevisioned) control plane. */
export const DEFAULT_REVISION = 'default';

/** One control-plane revision: its name (the `istio.io/rev` value) and the Istio version it runs. */
export interface RevisionRef {
  name: string;
  version: string;
}

export interface RenderContext {
  /** metadata.name of the MeshInstallation. */
  installation: string;
  spec: ResolvedSpec;
  release: CatalogueEntry;
  /** `default` for InPlace, `1-30-3` etc. for RevisionBased. */
  revision: string;
  /** istiod's Deployment/Service/ServiceAccount name: `istiod` or `istiod-<revision>`. */
  istiodName: string;
  /** Address proxies, ztunnel and gateways reach istiod's XDS and CA on. */
  istiodAddress: string;
  image(name: IstioImage): string;
  /** Istio's naming of revisioned resources: `base` for the default revision, else `base-<revision>`. */
  revisioned(base: string): string;
}

export class MissingInstallationNameError extends Error {
  constructor() {
    super('The MeshInstallation has no metadata.name; give it one (for example `default`)');
    this.name = 'MissingInstallationNameError';
  }
}

/** The revision the spec asks for: `default` for InPlace, named after the version for RevisionBased. */
export function targetRevision(spec: ResolvedSpec): RevisionRef {
  const name = spec.updateStrategy.type === 'RevisionBased' ? revisionName(spec.version) : DEFAULT_REVISION;
  return { name, version: spec.version };
}

/**
 * The context of the spec's target revision, or of `revisionRef` — an older revision kept running beside it during
 * a revision-based upgrade, rendered from the same spec but with its own name and version.
 */
export function renderContext(mi: MeshInstallation, revisionRef?: RevisionRef): RenderContext {
  const installation = mi.metadata?.name;
  if (!installation) throw new MissingInstallationNameError();
  const resolved = resolveSpec(mi.spec);
  const { name: revision, version } = revisionRef ?? targetRevision(resolved);
  const spec = version === resolved.version ? resolved : { ...resolved, version };
  const release = catalogueEntry(version);
  const revisioned = (base: string) => (revision === DEFAULT_REVISION ? base : `${base}-${revision}`);
  const istiodName = revisioned('istiod');
  return {
    installation,
    spec,
    release,
    revision,
    istiodName,
    istiodAddress: `${istiodName}.${spec.namespace}.svc:15012`,
    image: (name) => imageRef(release, name, spec.hub),
    revisioned,
  };
}
