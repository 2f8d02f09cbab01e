import { createPrivateKey, X509Certificate } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCertificateAuthority, issueServingCertificate } from './authority.js';
import {
  certificateExpiry,
  certificateStart,
  isIssuedBy,
  needsRotation,
  splitCertificates,
  subjectAltNames,
  toCaBundle,
  trustBundle,
} from './pem.js';
import { webhookSubjectAltNames } from './self-signed.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const names = webhookSubjectAltNames('meshloom-webhook', 'meshloom-system');

test('a new CA parses, is a CA, and is valid for the requested days from 5 minutes before now', async () => {
  const ca = await createCertificateAuthority('test-ca', { now: T0, days: 365 });
  const parsed = new X509Certificate(ca.cert);
  assert.ok(parsed.ca);
  assert.match(parsed.subject, 'CN=test-ca');
  assert.is(certificateExpiry(ca.cert).getTime(), at(365).getTime());
  assert.is(certificateStart(ca.cert).getTime(), T0.getTime() - 5 * 60 * 1000);
  assert.ok(parsed.checkPrivateKey(createPrivateKey(ca.key)));
});

test('a serving certificate carries the loopback and Service SANs, is signed by its CA, and matches its key', async () => {
  const ca = await createCertificateAuthority('test-ca', { now: T0, days: 365 });
  const serving = await issueServingCertificate(ca, names, { now: T0, days: 90 });
  assert.equal(subjectAltNames(serving.cert), {
    dnsNames: ['localhost', 'meshloom-webhook.meshloom-system.svc'],
    ipAddresses: ['127.0.0.1'],
  });
  const parsed = new X509Certificate(serving.cert);
  assert.not.ok(parsed.ca);
  assert.ok(parsed.checkPrivateKey(createPrivateKey(serving.key)));
  assert.ok(isIssuedBy(serving.cert, ca.cert));
  const otherCa = await createCertificateAuthority('other-ca', { now: T0, days: 365 });
  assert.not.ok(isIssuedBy(serving.cert, otherCa.cert));
  assert.is(certificateExpiry(serving.cert).getTime(), at(90).getTime());
});

test('a serving certificate never outlives its CA', async () => {
  const ca = await createCertificateAuthority('short-ca', { now: T0, days: 10 });
  const serving = await issueServingCertificate(ca, names, { now: T0, days: 90 });
  assert.is(certificateExpiry(serving.cert).getTime(), certificateExpiry(ca.cert).getTime());
});

test('rotation is due once less than a third of the lifetime remains', async () => {
  const ca = await createCertificateAuthority('test-ca', { now: T0, days: 365 });
  const serving = await issueServingCertificate(ca, names, { now: T0, days: 90 });
  assert.is(needsRotation(serving.cert, at(1), names), null);
  assert.is(needsRotation(serving.cert, at(59), names), null);
  assert.is(needsRotation(serving.cert, at(61), names), 'expiring');
  assert.is(needsRotation(serving.cert, at(120), names), 'expiring');
  assert.is(needsRotation(serving.cert, at(-1), names), 'notYetValid');
});

test('rotation is due when the wanted SANs change, in any order', async () => {
  const ca = await createCertificateAuthority('test-ca', { now: T0, days: 365 });
  const serving = await issueServingCertificate(ca, names, { now: T0, days: 90 });
  const reordered = { dnsNames: [...names.dnsNames].reverse(), ipAddresses: names.ipAddresses };
  assert.is(needsRotation(serving.cert, at(1), reordered), null);
  assert.is(needsRotation(serving.cert, at(1), webhookSubjectAltNames('renamed', 'meshloom-system')), 'subjectAltNamesChanged');
  assert.is(needsRotation(serving.cert, at(1), { ...names, ipAddresses: [] }), 'subjectAltNamesChanged');
});

test('trust bundle during a CA overlap: both CAs, newest first, no duplicates; expired CAs drop out', async () => {
  const oldCa = await createCertificateAuthority('old-ca', { now: at(-300), days: 365 });
  const newCa = await createCertificateAuthority('new-ca', { now: T0, days: 365 });
  const bundle = trustBundle([newCa.cert, `${oldCa.cert}\n${newCa.cert}`, oldCa.cert], T0);
  const members = splitCertificates(bundle).map((pem) => new X509Certificate(pem).subject);
  assert.equal(members, ['CN=new-ca', 'CN=old-ca']);

  // A certificate of the old CA still verifies against the overlap bundle; after the old CA expires it is gone.
  const oldServing = await issueServingCertificate(oldCa, names, { now: at(-1), days: 30 });
  assert.ok(splitCertificates(bundle).some((ca) => isIssuedBy(oldServing.cert, ca)));
  const later = trustBundle(splitCertificates(bundle), at(66));
  assert.equal(splitCertificates(later).map((pem) => new X509Certificate(pem).subject), ['CN=new-ca']);
});

test('caBundle is the base64 of the PEM bundle', async () => {
  const ca = await createCertificateAuthority('test-ca', { now: T0, days: 365 });
  const bundle = trustBundle([ca.cert], T0);
  assert.is(Buffer.from(toCaBundle(bundle), 'base64').toString('utf8'), bundle);
  assert.is(splitCertificates(bundle).length, 1);
});

test.run();
