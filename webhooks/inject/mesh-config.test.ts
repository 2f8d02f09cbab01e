// injectionConfigForMesh maps a MeshInstallation spec onto the injector settings.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { UnsupportedVersionError } from '../../operator/api/catalogue.js';
import { injectionConfigForMesh } from './mesh-config.js';

const test = suite('injectionConfigForMesh');

test('version, hub, namespace, trust domain and drain duration reach the injector', () => {
  const config = injectionConfigForMesh({
    version: '1.29.8',
    hub: 'mirror.example/istio',
    namespace: 'mesh-system',
    injection: { drainDuration: '1m' },
    meshConfig: { trustDomain: 'example.org', mtls: 'STRICT', accessLogging: true },
  });
  assert.is(config.tag, '1.29.8');
  assert.is(config.hub, 'mirror.example/istio');
  assert.is(config.istioNamespace, 'mesh-system');
  assert.is(config.mesh.trustDomain, 'example.org');
  assert.is(config.mesh.defaultConfig.terminationDrainDuration, '1m');
  assert.is(config.mesh.defaultConfig.discoveryAddress, 'istiod.mesh-system.svc:15012');
});

test('defaults: docker.io/istio, istio-system, Istio’s 5s drain, auto native sidecars', () => {
  const config = injectionConfigForMesh({ version: '1.30.3' });
  assert.is(config.hub, 'docker.io/istio');
  assert.is(config.istioNamespace, 'istio-system');
  assert.is(config.mesh.defaultConfig.terminationDrainDuration, '5s');
  assert.equal(config.nativeSidecars, { mode: 'auto', nodes: [] });
  assert.is(config.revision, '');
});

test('nativeSidecars Enabled/Disabled force the mode; Auto carries the node list', () => {
  assert.is(injectionConfigForMesh({ version: '1.30.3', injection: { nativeSidecars: 'Enabled' } }).nativeSidecars, true);
  assert.is(injectionConfigForMesh({ version: '1.30.3', injection: { nativeSidecars: 'Disabled' } }).nativeSidecars, false);
  const nodes = [{ name: 'n1', kubeletVersion: 'v1.32.4' }];
  assert.equal(injectionConfigForMesh({ version: '1.30.3' }, { nodes }).nativeSidecars, { mode: 'auto', nodes });
});

test('RevisionBased installs inject for the version’s revision unless told otherwise', () => {
  const spec = { version: '1.30.3', updateStrategy: { type: 'RevisionBased' as const } };
  assert.is(injectionConfigForMesh(spec).revision, '1-30-3');
  assert.is(injectionConfigForMesh(spec, { revision: 'canary' }).revision, 'canary');
  assert.is(injectionConfigForMesh(spec).mesh.defaultConfig.discoveryAddress, 'istiod-1-30-3.istio-system.svc:15012', 'a revision talks to its own istiod');
});

test('a version outside the catalogue is refused', () => {
  assert.throws(() => injectionConfigForMesh({ version: '1.17.0' }), (err: Error) => err instanceof UnsupportedVersionError);
});

test.run();
