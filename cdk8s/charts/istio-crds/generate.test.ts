import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GENERATED_PATH, generatedModule, readPackagedIstioApi, UnexpectedPackageLayoutError } from './generate.js';

/** A package laid out like @kubernetes-models/istio, holding only the given declaration files. */
function fakePackage(files: Record<string, string>, inputs = ['https://raw.githubusercontent.com/istio/istio/1.31.0/manifests/charts/base/files/crd-all.gen.yaml']): string {
  const dir = mkdtempSync(join(tmpdir(), 'istio-models-'));
  const exports: Record<string, unknown> = { '.': {} };
  for (const [path, text] of Object.entries(files)) {
    const [group, version] = path.split('/');
    exports[`./${group}/${version}`] = {};
    exports[`./${group}/${version}/*`] = {};
    mkdirSync(join(dir, group, version), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ version: '9.9.9', exports, 'crd-generate': { input: inputs } }));
  return dir;
}

const declaration = (apiVersion: string, kind: string, spec: string) => `
export interface I${kind} {
    ${spec}
    "status"?: { "observedGeneration"?: number | string; };
    "apiVersion": "${apiVersion}";
    "kind": "${kind}";
}
export declare class ${kind} {}
`;

test('packaged-kinds.gen.ts is up to date with the installed package (run generate.ts)', () => {
  assert.is(readFileSync(GENERATED_PATH, 'utf8'), generatedModule(readPackagedIstioApi()));
});

test('the installed package yields the four Istio API groups, without the removed IstioOperator', () => {
  const api = readPackagedIstioApi();
  assert.equal([...new Set(api.kinds.map((k) => k.group))], ['extensions.istio.io', 'networking.istio.io', 'security.istio.io', 'telemetry.istio.io']);
  assert.not.ok(api.kinds.some((k) => k.kind === 'IstioOperator'));
  assert.match(api.istioVersion, /^1\.\d+\.\d+$/);
});

test('kinds, versions, spec optionality and documentation are read from the declarations', () => {
  const dir = fakePackage({
    'networking.istio.io/v1beta1/Widget.d.ts': declaration('networking.istio.io/v1beta1', 'Widget', '/**\n     * Widgets, documented.\n     */\n    "spec": { "size"?: number; };'),
    'networking.istio.io/v1/Widget.d.ts': declaration('networking.istio.io/v1', 'Widget', '"spec"?: { "size"?: number; };'),
    'install.istio.io/v1alpha1/Operator.d.ts': declaration('install.istio.io/v1alpha1', 'Operator', '"spec"?: object;'),
  });
  try {
    assert.equal(readPackagedIstioApi(dir), {
      source: '@kubernetes-models/istio@9.9.9',
      istioVersion: '1.31.0',
      kinds: [
        {
          group: 'networking.istio.io',
          kind: 'Widget',
          versions: [
            { name: 'v1', specRequired: false, specDescription: undefined, hasStatus: true },
            { name: 'v1beta1', specRequired: true, specDescription: 'Widgets, documented.', hasStatus: true },
          ],
        },
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a package that no longer names its Istio source, or declares no kind, is refused with what to do', () => {
  const unnamed = fakePackage({ 'telemetry.istio.io/v1/T.d.ts': declaration('telemetry.istio.io/v1', 'T', '"spec"?: object;') }, []);
  const empty = fakePackage({ 'telemetry.istio.io/v1/T.d.ts': 'export type Nothing = never;' });
  try {
    assert.throws(() => readPackagedIstioApi(unnamed), (err: Error) => err instanceof UnexpectedPackageLayoutError && /crd-all\.gen\.yaml/.test(err.message));
    assert.throws(() => readPackagedIstioApi(empty), (err: Error) => err instanceof UnexpectedPackageLayoutError && /declares no kind/.test(err.message));
  } finally {
    rmSync(unnamed, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
});

test.run();
