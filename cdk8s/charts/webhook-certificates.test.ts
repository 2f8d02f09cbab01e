import { Chart, Testing } from 'cdk8s';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebhookCertificates } from './webhook-certificates.js';

function synth(issuerRef?: { kind: 'Issuer' | 'ClusterIssuer'; name: string }) {
  const chart = new Chart(Testing.app(), 'test');
  const certificates = new WebhookCertificates(chart, 'webhook-certificates', {
    namespace: 'meshloom-system',
    serviceName: 'meshloom-webhook',
    secretName: 'meshloom-webhook-tls',
    issuerRef,
  });
  return { certificates, objects: Testing.synth(chart) };
}

test('without an issuerRef: selfSigned Issuer -> CA Certificate -> CA Issuer -> serving Certificate', () => {
  const { objects, certificates } = synth();
  assert.equal(
    objects.map((o) => `${o.kind}/${o.metadata.name}`),
    [
      'Issuer/meshloom-webhook-selfsigned',
      'Certificate/meshloom-webhook-ca',
      'Issuer/meshloom-webhook-ca',
      'Certificate/meshloom-webhook',
    ],
  );
  const [selfSigned, authority, caIssuer, serving] = objects;
  assert.equal(selfSigned.spec, { selfSigned: {} });
  assert.is(authority.spec.isCA, true);
  assert.equal(authority.spec.issuerRef, { kind: 'Issuer', name: 'meshloom-webhook-selfsigned' });
  assert.equal(caIssuer.spec, { ca: { secretName: authority.spec.secretName } });
  assert.equal(serving.spec.issuerRef, { kind: 'Issuer', name: 'meshloom-webhook-ca' });
  assert.is(serving.spec.secretName, 'meshloom-webhook-tls');
  assert.ok(serving.spec.dnsNames.includes('meshloom-webhook.meshloom-system.svc'), 'the name the API server dials');
  for (const o of objects) assert.is(o.metadata.namespace, 'meshloom-system');
  assert.is(certificates.certificateName, serving.metadata.name);
});

test("with the user's issuerRef only the serving Certificate is made, and it uses that issuer", () => {
  const { objects } = synth({ kind: 'ClusterIssuer', name: 'mesh-ca' });
  assert.is(objects.length, 1);
  assert.is(objects[0].apiVersion, 'cert-manager.io/v1');
  assert.equal(objects[0].spec.issuerRef, { kind: 'ClusterIssuer', name: 'mesh-ca' });
});

test('renewal starts when a third of the lifetime remains, as with SelfSigned', () => {
  const hours = (d: string) => Number(d.replace(/h$/, ''));
  for (const o of synth().objects.filter((o) => o.kind === 'Certificate')) {
    assert.is(hours(o.spec.renewBefore) * 3, hours(o.spec.duration), o.metadata.name);
  }
});

test.run();
