// The SelfSigned provider: the operator is its own CA for the webhook. CA and serving certificate live in
// kubernetes.io/tls Secrets in the operator namespace; both are created when missing and rotated once a third
// of their lifetime remains. A CA rotation is done in two published steps so no admission ever fails on trust:
// first the new CA joins the old one in caBundle (listeners re-patch the webhook configuration and are
// awaited), only then does the server switch to a serving certificate signed by the new CA. The old CA stays
// in the bundle until it expires.
import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FIELD_MANAGER, LABELS, MANAGED_BY } from '../../operator/api/names.js';
import { createCertificateAuthority, issueServingCertificate } from './authority.js';
import {
  certificateExpiry,
  isIssuedBy,
  needsRotation,
  toCaBundle,
  trustBundle,
  type KeyPair,
  type SubjectAltNames,
} from './pem.js';
import { CertificateSource, type WebhookCertificateMaterial } from './source.js';
import { TLS_SECRET_KEYS } from './tls-secret.js';

export interface SelfSignedOptions {
  /** The operator namespace, where the Secrets live and the webhook Service runs. */
  namespace: string;
  /** The webhook Service; its `<service>.<namespace>.svc` name is a SAN of the serving certificate. */
  serviceName: string;
  caSecretName?: string;
  servingSecretName?: string;
  /** CA lifetime; rotated after two thirds, the old CA then stays trusted for the last third. */
  caValidityDays?: number;
  /** Serving certificate lifetime; rotated after two thirds. */
  servingValidityDays?: number;
}

export const SELF_SIGNED_DEFAULTS = {
  caSecretName: 'meshloom-webhook-ca',
  servingSecretName: 'meshloom-webhook-tls',
  caValidityDays: 3 * 365,
  servingValidityDays: 90,
} as const;

const CA_COMMON_NAME = 'meshloom-webhook-ca';

/** The SANs of the serving certificate: the in-cluster Service name, and loopback for a webhook run locally. */
export function webhookSubjectAltNames(serviceName: string, namespace: string): SubjectAltNames {
  return { dnsNames: ['localhost', `${serviceName}.${namespace}.svc`].sort(), ipAddresses: ['127.0.0.1'] };
}

function decode(secret: V1Secret | undefined, key: string): string | undefined {
  const value = secret?.data?.[key];
  return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
}

function keyPairOf(secret: V1Secret | undefined): KeyPair | undefined {
  const cert = decode(secret, TLS_SECRET_KEYS.cert);
  const key = decode(secret, TLS_SECRET_KEYS.key);
  return cert && key ? { cert, key } : undefined;
}

/** needsRotation, treating a certificate that does not parse as one to replace. */
function replacementReason(cert: string, now: Date, wanted?: SubjectAltNames): string | null {
  try {
    return needsRotation(cert, now, wanted);
  } catch {
    return 'unreadable';
  }
}

function isApiError(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

const MAX_CONFLICT_RETRIES = 3;

export class SelfSignedCertificates extends CertificateSource {
  private readonly options: Required<SelfSignedOptions>;
  private readonly names: SubjectAltNames;

  constructor(
    private readonly core: CoreV1Api,
    options: SelfSignedOptions,
    logger: Logger,
  ) {
    super(logger);
    this.options = { ...SELF_SIGNED_DEFAULTS, ...options };
    this.names = webhookSubjectAltNames(options.serviceName, options.namespace);
  }

  /**
   * Creates or rotates what is due and publishes the result. Writes use the Secrets' resourceVersion, so a
   * concurrent writer makes this re-read and start over instead of overwriting a newer CA.
   */
  async refresh(now = new Date()): Promise<WebhookCertificateMaterial> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.reconcile(now);
      } catch (error) {
        if (!isApiError(error, 409) || attempt === MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  private async reconcile(now: Date): Promise<WebhookCertificateMaterial> {
    const [caSecret, servingSecret] = await Promise.all([
      this.read(this.options.caSecretName),
      this.read(this.options.servingSecretName),
    ]);
    const authority = await this.ensureAuthority(caSecret, now);
    const caBundle = toCaBundle(authority.bundle);
    const stored = keyPairOf(servingSecret);

    if (authority.rotated && stored) {
      // Step 1 of a CA rotation: trust both CAs while still serving the certificate of the old one.
      await this.publish({ serving: stored, caBundle });
    }
    const reason = !stored
      ? 'missing'
      : !this.safeIsIssuedBy(stored.cert, authority.pair.cert)
        ? 'issuerChanged'
        : replacementReason(stored.cert, now, this.names);
    const serving =
      stored && !reason
        ? stored
        : await issueServingCertificate(authority.pair, this.names, { now, days: this.options.servingValidityDays });
    if (reason || decode(servingSecret, TLS_SECRET_KEYS.ca) !== authority.bundle) {
      await this.write(servingSecret, this.options.servingSecretName, serving, authority.bundle);
    }
    if (reason) {
      this.logger.info(
        { secret: this.ref(this.options.servingSecretName), reason, notAfter: certificateExpiry(serving.cert).toISOString() },
        'Issued webhook serving certificate',
      );
    }
    const material = { serving, caBundle };
    await this.publish(material);
    return material;
  }

  /** The current CA and the trust bundle (current CA first, older unexpired CAs after it), written back if changed. */
  private async ensureAuthority(
    secret: V1Secret | undefined,
    now: Date,
  ): Promise<{ pair: KeyPair; bundle: string; rotated: boolean }> {
    const stored = keyPairOf(secret);
    const storedBundle = decode(secret, TLS_SECRET_KEYS.ca) ?? '';
    const reason = stored ? replacementReason(stored.cert, now) : 'missing';
    const pair =
      stored && !reason
        ? stored
        : await createCertificateAuthority(CA_COMMON_NAME, { now, days: this.options.caValidityDays });
    // A stored CA that does not parse cannot stay in the bundle; trustBundle would throw on it.
    const previous = reason === 'unreadable' ? [] : [stored?.cert ?? '', storedBundle];
    const bundle = trustBundle([pair.cert, ...previous], now);
    if (reason || bundle !== storedBundle) await this.write(secret, this.options.caSecretName, pair, bundle);
    if (reason) {
      this.logger.info(
        { secret: this.ref(this.options.caSecretName), reason, notAfter: certificateExpiry(pair.cert).toISOString() },
        stored ? 'Rotated webhook certificate authority' : 'Created webhook certificate authority',
      );
    }
    return { pair, bundle, rotated: reason !== null && stored !== undefined };
  }

  private safeIsIssuedBy(cert: string, authority: string): boolean {
    try {
      return isIssuedBy(cert, authority);
    } catch {
      return false;
    }
  }

  private ref(name: string): { namespace: string; name: string } {
    return { namespace: this.options.namespace, name };
  }

  private async read(name: string): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret(this.ref(name));
    } catch (error) {
      if (isApiError(error, 404)) return undefined;
      throw error;
    }
  }

  private async write(existing: V1Secret | undefined, name: string, pair: KeyPair, bundle: string): Promise<void> {
    const { managedFields: _managedFields, ...metadata } = existing?.metadata ?? {};
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { ...metadata, name, namespace: this.options.namespace, labels: { ...metadata.labels, [LABELS.managedBy]: MANAGED_BY } },
      type: 'kubernetes.io/tls',
      data: {
        [TLS_SECRET_KEYS.cert]: Buffer.from(pair.cert).toString('base64'),
        [TLS_SECRET_KEYS.key]: Buffer.from(pair.key).toString('base64'),
        [TLS_SECRET_KEYS.ca]: Buffer.from(bundle).toString('base64'),
      },
    };
    if (existing) {
      await this.core.replaceNamespacedSecret({ ...this.ref(name), body, fieldManager: FIELD_MANAGER });
    } else {
      await this.core.createNamespacedSecret({ namespace: this.options.namespace, body, fieldManager: FIELD_MANAGER });
    }
  }
}
