// Where the webhook's serving certificate comes from. It is one server for every installation, reached by
// one DNS name, so the provider is the operator's choice (`--certificates`): SelfSigned (the operator is its
// own CA) or CertManager (typed Issuer/Certificate objects applied here; the issued Secret is served).
import { setTimeout as sleep } from 'node:timers/promises';
import { App, Chart } from 'cdk8s';
import type { Logger } from 'pino';
import { WebhookCertificates, type IssuerRef } from '../../cdk8s/charts/webhook-certificates.js';
import { LABELS, MANAGED_BY } from '../api/names.js';
import type { KubeClient, KubeObject } from '../runtime/kube.js';
import type { CertificateSource, WebhookCertificateMaterial } from '../../webhooks/certificates/source.js';
import { SelfSignedCertificates } from '../../webhooks/certificates/self-signed.js';
import { TlsSecretCertificates } from '../../webhooks/certificates/tls-secret.js';

export type CertificateProvider = 'SelfSigned' | 'CertManager';

export interface CertificateSettings {
  provider: CertificateProvider;
  namespace: string;
  serviceName: string;
  servingValidityDays: number;
  /** `Kind/name` of a cert-manager (Cluster)Issuer; without it a CA is bootstrapped through cert-manager. */
  issuer?: string;
}

export class InvalidIssuerError extends Error {
  constructor(value: string) {
    super(`--cert-manager-issuer=${value} is invalid: expected Issuer/<name> or ClusterIssuer/<name>`);
    this.name = 'InvalidIssuerError';
  }
}

const CERT_MANAGER_SECRET = 'meshloom-webhook-cert-manager-tls';
const REFRESH_INTERVAL_MS = 60 * 60_000;

function parseIssuer(value: string | undefined): IssuerRef | undefined {
  if (!value) return undefined;
  const [kind, name] = value.split('/');
  if ((kind !== 'Issuer' && kind !== 'ClusterIssuer') || !name) throw new InvalidIssuerError(value);
  return { kind, name };
}

/** The cert-manager objects for the webhook Service, rendered with the same chart `meshloom render` uses. */
export function certManagerObjects(settings: CertificateSettings): KubeObject[] {
  const chart = new Chart(new App(), 'webhook-certificates', { namespace: settings.namespace, disableResourceNameHashes: true });
  new WebhookCertificates(chart, 'certificates', {
    namespace: settings.namespace,
    serviceName: settings.serviceName,
    secretName: CERT_MANAGER_SECRET,
    issuerRef: parseIssuer(settings.issuer),
    labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.component]: 'webhook' },
  });
  return chart.toJson() as KubeObject[];
}

/** Starts the source and returns it with its first material; for CertManager, waits until it is issued. */
export async function startCertificates(
  settings: CertificateSettings,
  client: KubeClient,
  log: Logger,
): Promise<{ source: CertificateSource; material: WebhookCertificateMaterial }> {
  if (settings.provider === 'SelfSigned') {
    const source = new SelfSignedCertificates(
      client.core,
      { namespace: settings.namespace, serviceName: settings.serviceName, servingValidityDays: settings.servingValidityDays },
      log,
    );
    return { source, material: await source.start(REFRESH_INTERVAL_MS) };
  }
  for (const obj of certManagerObjects(settings)) await client.apply(obj);
  const source = new TlsSecretCertificates(client.core, { namespace: settings.namespace, name: CERT_MANAGER_SECRET }, log);
  for (let attempt = 1; ; attempt++) {
    try {
      return { source, material: await source.start(REFRESH_INTERVAL_MS) };
    } catch (err) {
      if (attempt >= 60) throw err;
      log.info({ secret: CERT_MANAGER_SECRET, attempt, reason: (err as Error).message }, 'Waiting for cert-manager to issue the webhook certificate');
      await sleep(5_000);
    }
  }
}
