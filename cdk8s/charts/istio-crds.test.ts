import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { supportedVersions } from '../../operator/api/catalogue.js';
import { API_VERSION, KIND, LABELS } from '../../operator/api/names.js';
import { renderMeshInstallation, type KubeObject } from '../render.js';
import { istioCrds, UncheckedIstioApiSetError } from './istio-crds.js';
import { ISTIO_API_GROUPS, ISTIO_KIND_FACTS } from './istio-crds/facts.js';
import { PACKAGED_ISTIO_API } from './istio-crds/packaged-kinds.gen.js';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}
interface Crd extends KubeObject {
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; listKind: string; shortNames?: string[]; categories: string[] };
    versions: { name: string; served: boolean; storage: boolean; schema: { openAPIV3Schema: Schema }; subresources?: { status?: object } }[];
  };
}

function renderedCrds(version: string): Crd[] {
  const mi = { apiVersion: API_VERSION, kind: KIND, metadata: { name: 'main', uid: 'uid-1' }, spec: { version } };
  const components = renderMeshInstallation(mi, { operatorNamespace: 'ops', injector: { clientConfig: { url: 'https://127.0.0.1/' }, failurePolicy: 'Fail' } });
  return components.find((c) => c.component === 'crds')!.objects as Crd[];
}

for (const version of supportedVersions()) {
  test(`Istio ${version}: one CRD per packaged kind, every version served, exactly one stored`, () => {
    const crds = renderedCrds(version);
    assert.equal(
      crds.map((crd) => `${crd.spec.names.kind}.${crd.spec.group}`),
      PACKAGED_ISTIO_API.kinds.map((k) => `${k.kind}.${k.group}`),
    );
    for (const crd of crds) {
      const where = crd.metadata.name;
      assert.is(crd.metadata.name, `${crd.spec.names.plural}.${crd.spec.group}`, where);
      assert.is(crd.spec.scope, 'Namespaced', where);
      assert.ok(crd.spec.versions.every((v) => v.served), where);
      assert.is(crd.spec.versions.filter((v) => v.storage).length, 1, where);
      assert.equal(crd.metadata.labels?.[LABELS.partOf], 'istio', where);
      // Shared by every installation, whatever its version: nothing in them may differ between installations.
      assert.is(crd.metadata.labels?.[LABELS.version], undefined, where);
      assert.is(crd.metadata.labels?.[LABELS.installation], undefined, where);
      assert.is(crd.metadata.namespace, undefined, where);
      assert.is(crd.metadata.ownerReferences, undefined, where);
    }
  });
}

test('every schema is structural and keeps whatever Istio puts in spec and status', () => {
  for (const crd of renderedCrds('1.30.3')) {
    for (const version of crd.spec.versions) {
      const where = `${crd.metadata.name} ${version.name}`;
      const root = version.schema.openAPIV3Schema;
      assert.is(root.type, 'object', where);
      assert.equal(root.properties?.spec.type, 'object', where);
      assert.is(root.properties?.spec['x-kubernetes-preserve-unknown-fields'], true, where);
      assert.equal(root.properties?.status, { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, where);
      assert.ok(version.subresources?.status, where);
    }
  }
});

test("spec is required and documented exactly where the package's types say so", () => {
  const crds = new Map(renderedCrds('1.30.3').map((crd) => [`${crd.spec.names.kind}.${crd.spec.group}`, crd]));
  for (const packaged of PACKAGED_ISTIO_API.kinds) {
    const crd = crds.get(`${packaged.kind}.${packaged.group}`)!;
    for (const version of packaged.versions) {
      const schema = crd.spec.versions.find((v) => v.name === version.name)!.schema.openAPIV3Schema;
      assert.equal(schema.required, version.specRequired ? ['spec'] : undefined, `${packaged.kind} ${version.name}`);
      assert.is(schema.properties?.spec.description, version.specDescription, `${packaged.kind} ${version.name}`);
    }
  }
  const required = (kind: string) => PACKAGED_ISTIO_API.kinds.find((k) => k.kind === kind)!.versions.every((v) => v.specRequired);
  assert.ok(required('ServiceEntry'));
  assert.not.ok(required('VirtualService'));
});

test('the facts describe exactly the packaged kinds, and each storage version is one the package serves', () => {
  const packaged = PACKAGED_ISTIO_API.kinds.map((k) => `${k.kind}.${k.group}`).sort();
  const described = ISTIO_API_GROUPS.flatMap((group) => Object.keys(ISTIO_KIND_FACTS[group]).map((kind) => `${kind}.${group}`)).sort();
  assert.equal(described, packaged);
  for (const kind of PACKAGED_ISTIO_API.kinds) {
    const storage = ISTIO_KIND_FACTS[kind.group as (typeof ISTIO_API_GROUPS)[number]][kind.kind].storageVersion;
    assert.ok(kind.versions.some((v) => v.name === storage), `${kind.kind} stores ${storage}`);
  }
});

test('plural and short names are unique, so kubectl resolves each to one kind; categories group the kinds', () => {
  const crds = renderedCrds('1.30.3');
  // Telemetry's singular and short name are both `telemetry`: a name may repeat within a CRD, not across CRDs.
  const names = crds.flatMap((crd) => [...new Set([crd.spec.names.plural, crd.spec.names.singular, ...(crd.spec.names.shortNames ?? [])])]);
  assert.is(new Set(names).size, names.length);
  for (const crd of crds) {
    assert.equal(crd.spec.names.categories, ['istio-io', crd.spec.group.replaceAll('.', '-')]);
    assert.is(crd.spec.names.listKind, `${crd.spec.names.kind}List`);
  }
});

test('a version whose API set nobody compared with the package is refused, naming where to record it', () => {
  assert.throws(() => istioCrds('1.31.0'), (err: Error) => err instanceof UncheckedIstioApiSetError && err.message.includes('MINORS_WITH_PACKAGED_API_SET'));
});

test.run();
