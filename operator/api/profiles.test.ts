import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { durationSeconds } from './duration.js';
import { GRACE_MARGIN_SECONDS, InvalidSpecError, resolveSpec } from './profiles.js';

test('no profile means the default profile: control plane, ingress gateway, injection', () => {
  const spec = resolveSpec({ version: '1.30.3' });
  assert.is(spec.profile, 'default');
  assert.is(spec.namespace, 'istio-system');
  assert.equal(
    spec.gateways.map((g) => [g.name, g.namespace, g.type, g.service.type]),
    [['ingressgateway', 'istio-ingress', 'Ingress', 'LoadBalancer']],
  );
  assert.equal(
    spec.gateways[0].service.ports.map((p) => [p.port, p.targetPort]),
    [
      [15021, 15021],
      [80, 8080],
      [443, 8443],
    ],
  );
  assert.ok(spec.injection.enabled);
  assert.not.ok(spec.nodeTunnel.enabled);
});

test('each profile decides gateways, node tunnel, injection and access logging', () => {
  const shape = (profile: 'default' | 'ambient' | 'minimal' | 'demo') => {
    const spec = resolveSpec({ version: '1.30.3', profile });
    return [spec.gateways.map((g) => g.type), spec.nodeTunnel.enabled, spec.injection.enabled, spec.meshConfig.accessLogging];
  };
  assert.equal(shape('default'), [['Ingress'], false, true, false]);
  assert.equal(shape('ambient'), [[], true, false, false]);
  assert.equal(shape('minimal'), [[], false, false, false]);
  assert.equal(shape('demo'), [['Ingress', 'Egress'], false, true, true]);
});

test('the demo profile asks for less than the default profile', () => {
  const cpu = (profile: 'default' | 'demo') => resolveSpec({ version: '1.30.3', profile }).controlPlane.resources.requests?.cpu;
  assert.is(cpu('default'), '500m');
  assert.is(cpu('demo'), '10m');
});

test('whatever the user writes wins over the profile', () => {
  const spec = resolveSpec({
    version: '1.30.3',
    profile: 'ambient',
    nodeTunnel: { enabled: false },
    injection: { enabled: true },
    gateways: [{ name: 'edge', type: 'Egress' }],
    meshConfig: { accessLogging: true },
    controlPlane: { replicas: 3, resources: { requests: { cpu: '1' } } },
  });
  assert.not.ok(spec.nodeTunnel.enabled);
  assert.ok(spec.injection.enabled);
  assert.equal(spec.gateways.map((g) => [g.name, g.namespace, g.service.type]), [['edge', 'istio-egress', 'ClusterIP']]);
  assert.ok(spec.meshConfig.accessLogging);
  assert.is(spec.controlPlane.replicas, 3);
  assert.equal(spec.controlPlane.resources, { requests: { cpu: '1' } });
});

test('an empty gateways list means no gateways, even in the default profile', () => {
  assert.equal(resolveSpec({ version: '1.30.3', gateways: [] }).gateways, []);
});

test('the default grace period always exceeds the drain, whichever drain the user chose', () => {
  for (const duration of [undefined, '5s', '600s', '1m30s', '2.5s']) {
    const [gateway] = resolveSpec({ version: '1.30.3', gateways: [{ name: 'g', drain: { duration } }] }).gateways;
    const drain = durationSeconds(gateway.drain.duration);
    assert.ok(gateway.terminationGracePeriodSeconds > drain, `${duration}: ${gateway.terminationGracePeriodSeconds}`);
    assert.is(gateway.terminationGracePeriodSeconds, Math.ceil(drain) + GRACE_MARGIN_SECONDS);
  }
});

test('a grace period not above the drain is refused with both values and the fix', () => {
  for (const [duration, grace] of [
    ['600s', 600],
    [undefined, 5],
    ['1m', 30],
  ] as const) {
    try {
      resolveSpec({ version: '1.30.3', gateways: [{ name: 'g', drain: { duration }, terminationGracePeriodSeconds: grace }] });
      assert.unreachable(`${grace}s <= ${duration}`);
    } catch (err) {
      assert.instance(err, InvalidSpecError);
      assert.match((err as Error).message, 'terminationGracePeriodSeconds');
      assert.match((err as Error).message, `${grace}s`);
      assert.match((err as Error).message, duration ?? '5s');
    }
  }
});

test('duplicate gateway names are refused', () => {
  assert.throws(
    () => resolveSpec({ version: '1.30.3', gateways: [{ name: 'a' }, { name: 'a', type: 'Egress' }] }),
    (err: unknown) => err instanceof InvalidSpecError && /"a" is used twice/.test((err as Error).message),
  );
});

test('CertManager needs an issuer; its kind and group default to a cert-manager Issuer', () => {
  const spec = resolveSpec({ version: '1.30.3', certificates: { provider: 'CertManager', issuerRef: { name: 'mesh-ca' } } });
  assert.equal(spec.certificates, {
    provider: 'CertManager',
    issuerRef: { kind: 'Issuer', name: 'mesh-ca', group: 'cert-manager.io' },
  });
  assert.throws(() => resolveSpec({ version: '1.30.3', certificates: { provider: 'CertManager' } }), (err: unknown) => err instanceof InvalidSpecError);
});

test.run();
