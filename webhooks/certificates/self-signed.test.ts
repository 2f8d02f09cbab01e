import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { X509Certificate } from 'node:crypto';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LABELS, MANAGED_BY } from '../../operator/api/names.js';
import { isIssuedBy, splitCertificates } from './pem.js';
import { SelfSignedCertificates } from './self-signed.js';
import type { WebhookCertificateMaterial } from './source.js';
import { materialFromTlsSecret, TlsSecretCertificates, TlsSecretIncompleteError } from './tls-secret.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date('2030-01-01T00:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const logger = pino({ level: 'silent' });
const NAMESPACE = 'meshloom-system';

function apiError(code: number): Error {
  return Object.assign(new Error(`HTTP ${code}`), { code });
}

/**
 * The four Secret calls the provider makes, kept in memory with the API server's optimistic concurrency
 * (a replace with a stale resourceVersion is a 409). `conflictOnce` makes the next replace fail as if another
 * writer had won.
 */
class SecretStore {
  readonly secrets = new Map<string, V1Secret>();
  writes = 0;
  conflictOnce = false;
  private version = 0;

  readonly api = {
    readNamespacedSecret: async ({ name, namespace }: { name: string; namespace: string }) => {
      const secret = this.secrets.get(`${namespace}/${name}`);
      if (!secret) throw apiError(404);
      return structuredClone(secret);
    },
    createNamespacedSecret: async ({ namespace, body }: { namespace: string; body: V1Secret }) => {
      const key = `${namespace}/${body.metadata!.name}`;
      if (this.secrets.has(key)) throw apiError(409);
      return this.store(key, body);
    },
    replaceNamespacedSecret: async ({ name, namespace, body }: { name: string; namespace: string; body: V1Secret }) => {
      const key = `${namespace}/${name}`;
      if (this.conflictOnce) {
        this.conflictOnce = false;
        throw apiError(409);
      }
      if (this.secrets.get(key)?.metadata?.resourceVersion !== body.metadata?.resourceVersion) throw apiError(409);
      return this.store(key, body);
    },
  } as unknown as CoreV1Api;

  private store(key: string, body: V1Secret): V1Secret {
    this.writes++;
    const stored = structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } });
    this.secrets.set(key, stored);
    return stored;
  }

  secret(name: string): V1Secret {
    return this.secrets.get(`${NAMESPACE}/${name}`)!;
  }
}

function setup() {
  const store = new SecretStore();
  const provider = new SelfSignedCertificates(store.api, { namespace: NAMESPACE, serviceName: 'meshloom-webhook' }, logger);
  const published: WebhookCertificateMaterial[] = [];
  provider.onChange((material) => void published.push(material));
  return { store, provider, published };
}

const subjects = (caBundle: string) =>
  splitCertificates(Buffer.from(caBundle, 'base64').toString('utf8')).map((pem) => new X509Certificate(pem).serialNumber);
const caCertOf = (secret: V1Secret) => Buffer.from(secret.data!['tls.crt'], 'base64').toString('utf8');

test('creates the CA and serving Secrets when missing and publishes them once', async () => {
  const { store, provider, published } = setup();
  const material = await provider.refresh(T0);
  const ca = store.secret('meshloom-webhook-ca');
  const serving = store.secret('meshloom-webhook-tls');
  for (const secret of [ca, serving]) {
    assert.is(secret.type, 'kubernetes.io/tls');
    assert.is(secret.metadata?.labels?.[LABELS.managedBy], MANAGED_BY);
  }
  assert.ok(isIssuedBy(material.serving.cert, caCertOf(ca)));
  assert.equal(subjects(material.caBundle), [new X509Certificate(caCertOf(ca)).serialNumber]);
  assert.equal(published, [material]);
  assert.equal(provider.current(), material);
  // The serving Secret is what followers (and cert-manager users) read: same material.
  assert.equal(materialFromTlsSecret(serving), material);
});

test('a refresh with nothing due writes and publishes nothing', async () => {
  const { store, provider, published } = setup();
  await provider.refresh(T0);
  const writes = store.writes;
  await provider.refresh(at(30));
  assert.is(store.writes, writes);
  assert.is(published.length, 1);
});

test('rotates the serving certificate after two thirds of its 90 days, keeping the CA', async () => {
  const { provider, published } = setup();
  const first = await provider.refresh(T0);
  const second = await provider.refresh(at(61));
  assert.is.not(second.serving.cert, first.serving.cert);
  assert.is(second.caBundle, first.caBundle);
  assert.is(published.length, 2);
});

test('a CA rotation first trusts both CAs with the old serving certificate, then switches the certificate', async () => {
  const { store, provider, published } = setup();
  const before = await provider.refresh(T0);
  const oldCa = caCertOf(store.secret('meshloom-webhook-ca'));
  await provider.refresh(at(731)); // past two thirds of the CA's 3 years
  const newCa = caCertOf(store.secret('meshloom-webhook-ca'));
  assert.is.not(newCa, oldCa);

  const [, overlap, switched] = published;
  assert.is(published.length, 3);
  // Step 1: the API server is told to trust both CAs before anything is served by the new one.
  assert.is(overlap.serving.cert, before.serving.cert);
  assert.equal(subjects(overlap.caBundle), [newCa, oldCa].map((pem) => new X509Certificate(pem).serialNumber));
  // Step 2: the new serving certificate, from the new CA, under the same overlap bundle.
  assert.ok(isIssuedBy(switched.serving.cert, newCa));
  assert.is(switched.caBundle, overlap.caBundle);
});

test('the old CA leaves the bundle once it has expired', async () => {
  const { store, provider } = setup();
  await provider.refresh(T0);
  await provider.refresh(at(731));
  const newCa = caCertOf(store.secret('meshloom-webhook-ca'));
  const afterExpiry = await provider.refresh(at(3 * 365 + 1));
  assert.equal(subjects(afterExpiry.caBundle), [new X509Certificate(newCa).serialNumber]);
});

test('a write conflict makes the refresh re-read and retry instead of failing', async () => {
  const { store, provider } = setup();
  await provider.refresh(T0);
  store.conflictOnce = true;
  const rotated = await provider.refresh(at(61));
  assert.ok(isIssuedBy(rotated.serving.cert, caCertOf(store.secret('meshloom-webhook-ca'))));
  assert.is(materialFromTlsSecret(store.secret('meshloom-webhook-tls')).serving.cert, rotated.serving.cert);
});

test('a follower reading the serving Secret sees each rotation', async () => {
  const { store, provider } = setup();
  const follower = new TlsSecretCertificates(store.api, { namespace: NAMESPACE, name: 'meshloom-webhook-tls' }, logger);
  const seen: WebhookCertificateMaterial[] = [];
  follower.onChange((material) => void seen.push(material));
  await provider.refresh(T0);
  await follower.refresh();
  await follower.refresh();
  const rotated = await provider.refresh(at(61));
  await follower.refresh();
  assert.is(seen.length, 2);
  assert.equal(seen[1], rotated);
});

test('a TLS Secret without ca.crt is reported as incomplete, naming the key', () => {
  const secret: V1Secret = { metadata: { name: 'issued', namespace: NAMESPACE }, data: { 'tls.crt': '', 'tls.key': 'a2V5' } };
  assert.throws(
    () => materialFromTlsSecret(secret),
    (error: unknown) =>
      error instanceof TlsSecretIncompleteError &&
      error.missing.join() === 'tls.crt,ca.crt' &&
      error.message.includes(`${NAMESPACE}/issued`),
  );
});

test.run();
