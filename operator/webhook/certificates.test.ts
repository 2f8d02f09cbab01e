import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { certManagerObjects, InvalidIssuerError, type CertificateSettings } from './certificates.js';

const settings: CertificateSettings = { provider: 'CertManager', namespace: 'meshloom-system', serviceName: 'meshloom-webhook', servingValidityDays: 90 };

test('without an issuer, cert-manager bootstraps a CA and issues the serving certificate from it', () => {
  const objects = certManagerObjects(settings);
  assert.equal(objects.map((o) => `${o.kind}/${o.metadata!.name}`), [
    'Issuer/meshloom-webhook-selfsigned',
    'Certificate/meshloom-webhook-ca',
    'Issuer/meshloom-webhook-ca',
    'Certificate/meshloom-webhook',
  ]);
  const serving = objects.at(-1) as unknown as { metadata: { namespace: string }; spec: { dnsNames: string[]; secretName: string } };
  assert.is(serving.metadata.namespace, 'meshloom-system');
  assert.ok(serving.spec.dnsNames.includes('meshloom-webhook.meshloom-system.svc'));
  assert.is(serving.spec.secretName, 'meshloom-webhook-cert-manager-tls');
});

test("with --cert-manager-issuer, only the serving certificate is made, signed by the user's issuer", () => {
  const objects = certManagerObjects({ ...settings, issuer: 'ClusterIssuer/mesh-ca' });
  assert.equal(objects.map((o) => o.kind), ['Certificate']);
  assert.equal((objects[0] as unknown as { spec: { issuerRef: object } }).spec.issuerRef, { kind: 'ClusterIssuer', name: 'mesh-ca' });
});

test('a malformed issuer is refused with the expected form', () => {
  assert.throws(() => certManagerObjects({ ...settings, issuer: 'mesh-ca' }), (err: unknown) => err instanceof InvalidIssuerError && /ClusterIssuer\/<name>/.test((err as Error).message));
});

test.run();
