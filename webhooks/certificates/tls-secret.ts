// Reads webhook certificates from a kubernetes.io/tls Secret with `ca.crt`: the Secret cert-manager issues
// for the webhook Certificate, and the serving Secret SelfSignedCertificates maintains (which is how operator
// replicas that are not the leader follow a rotation without writing anything).
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { splitCertificates, toCaBundle } from './pem.js';
import { CertificateSource, type WebhookCertificateMaterial } from './source.js';

/** Secret keys of a kubernetes.io/tls Secret, plus cert-manager's `ca.crt`. */
export const TLS_SECRET_KEYS = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/** The Secret exists but cannot serve the webhook yet (not issued, or issued without a CA). */
export class TlsSecretIncompleteError extends Error {
  override readonly name = 'TlsSecretIncompleteError';
  constructor(
    readonly secret: string,
    readonly missing: string[],
  ) {
    super(
      `Secret ${secret} has no ${missing.join(', ')}: wait until cert-manager has issued the webhook Certificate, ` +
        'and use an issuer that records its CA in ca.crt (a CA or self-signed issuer) so the caBundle can be set',
    );
  }
}

function decode(secret: V1Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

/** The serving key pair and caBundle in `secret`. Pure; throws TlsSecretIncompleteError. */
export function materialFromTlsSecret(secret: V1Secret): WebhookCertificateMaterial {
  const ref = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
  const cert = decode(secret, TLS_SECRET_KEYS.cert);
  const key = decode(secret, TLS_SECRET_KEYS.key);
  const ca = decode(secret, TLS_SECRET_KEYS.ca);
  const missing: string[] = [];
  if (!cert || splitCertificates(cert).length === 0) missing.push(TLS_SECRET_KEYS.cert);
  if (!key) missing.push(TLS_SECRET_KEYS.key);
  if (!ca || splitCertificates(ca).length === 0) missing.push(TLS_SECRET_KEYS.ca);
  if (!cert || !key || !ca || missing.length > 0) throw new TlsSecretIncompleteError(ref, missing);
  return { serving: { cert, key }, caBundle: toCaBundle(ca) };
}

export interface TlsSecretRef {
  namespace: string;
  name: string;
}

/** Follows one TLS Secret: each refresh reads it and publishes its material when it changed. */
export class TlsSecretCertificates extends CertificateSource {
  constructor(
    private readonly core: CoreV1Api,
    private readonly secret: TlsSecretRef,
    logger: Logger,
  ) {
    super(logger);
  }

  async refresh(): Promise<WebhookCertificateMaterial> {
    const material = materialFromTlsSecret(await this.core.readNamespacedSecret(this.secret));
    await this.publish(material);
    return material;
  }
}
