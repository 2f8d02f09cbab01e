// Istio's API CRDs (networking, security, telemetry, extensions) for the catalogue version. Kinds, versions and
// what each version says about spec and status come from @kubernetes-models/istio (istio-crds/
// packaged-kinds.gen.ts); names, printer columns and storage versions from istio-crds/facts.ts. CRDs hold the
// users' mesh config: the render gives them no ownerReference and the reconciler never prunes them.
//
// The schemas are structural but open: spec and status keep unknown fields. The package carries no JSON schema to
// derive exact ones from, istiod's validating webhook checks Istio config anyway, and a narrower schema rebuilt
// from the typings would let the API server silently drop any field it missed.
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-33';
import type { Construct } from 'constructs';
import { LABELS } from '../../operator/api/names.js';
import type { RenderContext } from '../context.js';
import { ISTIO_KIND_FACTS, MINORS_WITH_PACKAGED_API_SET, type IstioApiGroup, type IstioKindFacts } from './istio-crds/facts.js';
import type { PackagedKind, PackagedVersion } from './istio-crds/generate.js';
import { PACKAGED_ISTIO_API } from './istio-crds/packaged-kinds.gen.js';

export class UncheckedIstioApiSetError extends Error {
  constructor(readonly version: string) {
    super(
      `Istio ${version}'s API CRDs have not been checked against the set ${PACKAGED_ISTIO_API.source} ships ` +
        `(Istio ${PACKAGED_ISTIO_API.istioVersion}); compare its crd-all.gen.yaml, then add its minor to ` +
        'MINORS_WITH_PACKAGED_API_SET in cdk8s/charts/istio-crds/facts.ts or bump the package',
    );
    this.name = 'UncheckedIstioApiSetError';
  }
}

export class MissingIstioKindFactsError extends Error {
  constructor(readonly group: string, readonly kind: string) {
    super(`${PACKAGED_ISTIO_API.source} ships ${kind}.${group}, which cdk8s/charts/istio-crds/facts.ts does not describe; add its names, printer columns and storage version there`);
    this.name = 'MissingIstioKindFactsError';
  }
}

function factsFor({ group, kind }: PackagedKind): IstioKindFacts {
  const facts = ISTIO_KIND_FACTS[group as IstioApiGroup]?.[kind];
  if (!facts) throw new MissingIstioKindFactsError(group, kind);
  return facts;
}

function openSchema(version: PackagedVersion): k8s.JsonSchemaProps {
  return {
    type: 'object',
    properties: {
      spec: { type: 'object', description: version.specDescription, xKubernetesPreserveUnknownFields: true },
      ...(version.hasStatus ? { status: { type: 'object', xKubernetesPreserveUnknownFields: true } } : {}),
    },
    required: version.specRequired ? ['spec'] : undefined,
  };
}

function crdVersion(version: PackagedVersion, facts: IstioKindFacts): k8s.CustomResourceDefinitionVersion {
  return {
    name: version.name,
    served: true,
    storage: version.name === facts.storageVersion,
    schema: { openApiv3Schema: openSchema(version) },
    additionalPrinterColumns: facts.printerColumns.length > 0 ? facts.printerColumns : undefined,
    subresources: version.hasStatus ? { status: {} } : undefined,
  };
}

/** The CRDs Istio `version` defines, as CustomResourceDefinition props. Pure. */
export function istioCrds(version: string): k8s.KubeCustomResourceDefinitionProps[] {
  const minor = version.split('.').slice(0, 2).join('.');
  if (!MINORS_WITH_PACKAGED_API_SET.includes(minor)) throw new UncheckedIstioApiSetError(version);
  return PACKAGED_ISTIO_API.kinds.map((packaged) => {
    const facts = factsFor(packaged);
    return {
      metadata: {
        name: `${facts.plural}.${packaged.group}`,
        // Istio's Helm charts label their CRDs like every other object of the release.
        labels: { [LABELS.partOf]: 'istio' },
      },
      spec: {
        group: packaged.group,
        names: {
          kind: packaged.kind,
          listKind: `${packaged.kind}List`,
          plural: facts.plural,
          singular: packaged.kind.toLowerCase(),
          shortNames: facts.shortNames.length > 0 ? facts.shortNames : undefined,
          // `kubectl get istio-io` lists every Istio object, `kubectl get networking-istio-io` one group's.
          categories: ['istio-io', packaged.group.replaceAll('.', '-')],
        },
        scope: 'Namespaced',
        versions: packaged.versions.map((packagedVersion) => crdVersion(packagedVersion, facts)),
      },
    };
  });
}

export class IstioCrdsChart extends Chart {
  constructor(scope: Construct, id: string, props: ChartProps, ctx: RenderContext) {
    super(scope, id, props);
    for (const crd of istioCrds(ctx.release.version)) new k8s.KubeCustomResourceDefinition(this, crd.metadata!.name!, crd);
  }
}
