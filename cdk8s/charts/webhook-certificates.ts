// The CertManager provider of the webhook serving certificate: typed, schema-validated cert-manager objects.
// With the user's issuerRef only the serving Certificate is made; without one, cert-manager's CA bootstrap
// (a selfSigned Issuer signs a CA Certificate, a CA Issuer backed by it signs the serving Certificate), so the
// issued Secret carries `ca.crt` for the webhook's caBundle. The operator reads that Secret with
// TlsSecretCertificates (webhooks/certificates/tls-secret.ts).
import { Certificate, Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';

export interface IssuerRef {
  kind: 'Issuer' | 'ClusterIssuer';
  name: string;
  /** Defaults to cert-manager.io; set it for external issuers. */
  group?: string;
}

export interface WebhookCertificatesProps {
  /** Namespace of the webhook Service and of the issued Secret (the operator namespace). */
  namespace: string;
  /** The webhook Service; the certificate is for its in-cluster DNS names. */
  serviceName: string;
  /** Secret cert-manager writes tls.crt, tls.key and ca.crt to. */
  secretName: string;
  /** `spec.certificates.issuerRef`; without it a namespaced CA is bootstrapped. */
  issuerRef?: IssuerRef;
  labels?: Record<string, string>;
}

/**
 * Lifetimes follow the SelfSigned provider (webhooks/certificates/self-signed.ts): 90 days for the serving
 * certificate and 3 years for the CA, each renewed when a third of its lifetime remains.
 */
const SERVING = { duration: '2160h', renewBefore: '720h' };
const AUTHORITY = { duration: '26280h', renewBefore: '8760h' };

/** The Service's in-cluster DNS names, as the API server dials it (`<svc>.<ns>.svc`) and as pods may. */
export function serviceDnsNames(serviceName: string, namespace: string): string[] {
  return [
    serviceName,
    `${serviceName}.${namespace}`,
    `${serviceName}.${namespace}.svc`,
    `${serviceName}.${namespace}.svc.cluster.local`,
  ];
}

export class WebhookCertificates extends Construct {
  /** Name of the serving Certificate, for `cert-manager.io/inject-ca-from: <namespace>/<name>`. */
  readonly certificateName: string;
  readonly secretName: string;

  constructor(scope: Construct, id: string, props: WebhookCertificatesProps) {
    super(scope, id);
    const { namespace, serviceName, labels } = props;
    this.certificateName = serviceName;
    this.secretName = props.secretName;
    const metadata = (name: string) => ({ name, namespace, labels });

    const issuerRef = props.issuerRef ?? this.bootstrapAuthority(serviceName, metadata);
    this.add(
      'serving-certificate',
      new Certificate({
        metadata: metadata(this.certificateName),
        spec: {
          secretName: props.secretName,
          commonName: `${serviceName}.${namespace}.svc`,
          dnsNames: serviceDnsNames(serviceName, namespace),
          ...SERVING,
          usages: ['server auth', 'digital signature'],
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
          issuerRef,
        },
      }),
    );
  }

  /** A CA of our own, issued by a selfSigned Issuer; returns the Issuer that signs with it. */
  private bootstrapAuthority(serviceName: string, metadata: (name: string) => object): IssuerRef {
    const selfSigned = `${serviceName}-selfsigned`;
    const authority = `${serviceName}-ca`;
    this.add('selfsigned-issuer', new Issuer({ metadata: metadata(selfSigned), spec: { selfSigned: {} } }));
    this.add(
      'ca-certificate',
      new Certificate({
        metadata: metadata(authority),
        spec: {
          isCA: true,
          commonName: authority,
          secretName: authority,
          ...AUTHORITY,
          privateKey: { algorithm: 'ECDSA', size: 256 },
          issuerRef: { kind: 'Issuer', name: selfSigned },
        },
      }),
    );
    this.add('ca-issuer', new Issuer({ metadata: metadata(authority), spec: { ca: { secretName: authority } } }));
    return { kind: 'Issuer', name: authority };
  }

  /** Validates against cert-manager's schema (throws naming the field), then adds it to the chart. */
  private add(id: string, model: Certificate | Issuer): void {
    model.validate();
    new ApiObject(this, id, model.toJSON());
  }
}
