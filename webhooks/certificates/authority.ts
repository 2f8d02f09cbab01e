// Generates the self-signed webhook CA and the serving certificates it signs, with @peculiar/x509 on Node's
// WebCrypto: ECDSA P-256 keys (generated natively in about a millisecond, small TLS handshakes).
// @peculiar/x509 2.x resolves its ASN.1 classes through tsyringe, which needs a Reflect metadata polyfill
// loaded before it: keep this import first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { KeyPair, SubjectAltNames } from './pem.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Certificates start this long before `now`, so a peer whose clock is behind ours still accepts them. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface Validity {
  /** When the certificate is issued; it is valid from 5 minutes before. */
  now: Date;
  days: number;
}

/** The signing key of a CA is invalid or does not belong to its certificate. */
export class CertificateAuthorityKeyError extends Error {
  override readonly name = 'CertificateAuthorityKeyError';
  constructor(detail: string) {
    super(`the webhook CA key cannot be used (${detail}): delete the CA Secret so that meshloom creates a new CA`);
  }
}

function window({ now, days }: Validity): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter: new Date(now.getTime() + days * DAY_MS) };
}

/** A random positive 128-bit serial number, hex (RFC 5280 asks for unpredictable serials). */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  try {
    const der = x509.PemConverter.decodeFirst(pem);
    return await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
  } catch (error) {
    throw new CertificateAuthorityKeyError(error instanceof Error ? error.message : String(error));
  }
}

/** A new self-signed CA that may sign end-entity certificates only (path length 0). */
export async function createCertificateAuthority(commonName: string, validity: Validity): Promise<KeyPair> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [commonName] }],
    ...window(validity),
    signingAlgorithm: KEY_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}

/** A TLS server certificate for `names`, signed by `authority`; it never outlives the authority. */
export async function issueServingCertificate(
  authority: KeyPair,
  names: SubjectAltNames,
  validity: Validity,
): Promise<KeyPair> {
  const caCertificate = new x509.X509Certificate(authority.cert);
  const signingKey = await importSigningKey(authority.key);
  const keys = await generateKeys();
  const { notBefore, notAfter } = window(validity);
  const commonName = names.dnsNames[0] ?? names.ipAddresses[0] ?? 'meshloom-webhook';
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ CN: [commonName] }],
    issuer: caCertificate.subject,
    notBefore,
    notAfter: notAfter < caCertificate.notAfter ? notAfter : caCertificate.notAfter,
    signingAlgorithm: KEY_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...names.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate.publicKey),
    ],
  });
  return { cert: certificate.toString('pem'), key: await privateKeyPem(keys.privateKey) };
}
