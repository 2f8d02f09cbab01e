import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkCertificateExpiry, checkCrd, checkKubernetesVersion, checkMesh, checkPermissions, checkStaleProxies } from './checks.js';

test('Kubernetes 1.30+ passes, older fails with what to do', () => {
  assert.ok(checkKubernetesVersion('v1.36.1').ok);
  assert.ok(checkKubernetesVersion('v1.30.0-eks-123').ok);
  const old = checkKubernetesVersion('v1.29.9');
  assert.not.ok(old.ok);
  assert.match(old.message, /upgrade/);
});

test('missing permissions are listed', () => {
  const r = checkPermissions([
    { verb: 'create', group: 'apps', resource: 'deployments', allowed: true },
    { verb: 'patch', group: '', resource: 'namespaces', allowed: false },
  ]);
  assert.not.ok(r.ok);
  assert.match(r.message, /patch namespaces/);
});

test('CRD must exist, be Established and serve the version', () => {
  assert.not.ok(checkCrd(undefined, 'v1alpha1').ok);
  assert.not.ok(checkCrd({ name: 'x', versions: [{ name: 'v1alpha1', served: true, storage: true }], established: false }, 'v1alpha1').ok);
  assert.ok(checkCrd({ name: 'x', versions: [{ name: 'v1alpha1', served: true, storage: true }], established: true }, 'v1alpha1').ok);
});

test('a control plane scaled to zero fails and says so', () => {
  const results = checkMesh({
    name: 'default',
    conditions: [{ type: 'Ready', status: 'True', reason: 'ComponentsReady', message: 'ok' }],
    components: [{ name: 'controlPlane', desired: 0, ready: 0 }],
  });
  const cp = results.find((r) => r.name === 'default/controlPlane')!;
  assert.not.ok(cp.ok);
  assert.match(cp.message, /scaled to zero/);
});

test('a webhook certificate expiring within 30 days fails', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  assert.not.ok(checkCertificateExpiry('default', new Date('2026-01-20T00:00:00Z'), now).ok);
  assert.ok(checkCertificateExpiry('default', new Date('2026-03-01T00:00:00Z'), now).ok);
});

test('pods on an old proxy are named', () => {
  const r = checkStaleProxies('default', '1.30.3', [
    { namespace: 'a', name: 'p1', proxyImage: 'docker.io/istio/proxyv2:1.30.3' },
    { namespace: 'b', name: 'p2', proxyImage: 'docker.io/istio/proxyv2:1.29.4' },
  ]);
  assert.not.ok(r.ok);
  assert.match(r.message, /b\/p2/);
});

test.run();
