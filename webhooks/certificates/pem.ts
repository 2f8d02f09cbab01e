// Pure helpers over PEM certificates: expiry, subject alternative names, the rotation rule and CA bundles.
// Parsing uses node:crypto's X509Certificate (native, no key material involved).
import { X509Certificate } from 'node:crypto';

/** A private key and its certificate, both PEM. The shape `tls.createSecureContext` and kubernetes.io/tls take. */
export interface KeyPair {
  key: string;
  cert: string;
}

/** The names a serving certificate must carry. */
export interface SubjectAltNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** Why a certificate must be replaced. */
export type RotationReason = 'expiring' | 'notYetValid' | 'subjectAltNamesChanged';

/** A certificate is replaced once less than this share of its lifetime remains. */
export const ROTATE_WHEN_REMAINING_BELOW = 1 / 3;

/** The first certificate of a PEM text, parsed. */
function parse(pem: string): X509Certificate {
  return new X509Certificate(pem);
}

/** The `notAfter` of the (first) certificate in `pem`. */
export function certificateExpiry(pem: string): Date {
  return new Date(parse(pem).validTo);
}

/** The `notBefore` of the (first) certificate in `pem`. */
export function certificateStart(pem: string): Date {
  return new Date(parse(pem).validFrom);
}

/** DNS and IP subject alternative names of the (first) certificate in `pem`, sorted. */
export function subjectAltNames(pem: string): SubjectAltNames {
  const names: SubjectAltNames = { dnsNames: [], ipAddresses: [] };
  // Node renders the extension as "DNS:a, IP Address:127.0.0.1"; DNS names and IPs cannot contain ", ".
  for (const entry of parse(pem).subjectAltName?.split(', ') ?? []) {
    if (entry.startsWith('DNS:')) names.dnsNames.push(entry.slice('DNS:'.length));
    else if (entry.startsWith('IP Address:')) names.ipAddresses.push(entry.slice('IP Address:'.length));
  }
  return { dnsNames: names.dnsNames.sort(), ipAddresses: names.ipAddresses.sort() };
}

function sameNames(a: string[], b: string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((name, i) => name === sortedB[i]);
}

/**
 * Whether the certificate in `pem` must be replaced at `now`, and why (null when it is still good): it is
 * not valid yet (a clock jump), less than a third of its lifetime remains (rotating at two thirds leaves a
 * whole third for retries before anything fails), or its SANs differ from `wanted`.
 */
export function needsRotation(pem: string, now: Date, wanted?: SubjectAltNames): RotationReason | null {
  const notBefore = certificateStart(pem).getTime();
  const notAfter = certificateExpiry(pem).getTime();
  if (now.getTime() < notBefore) return 'notYetValid';
  if (notAfter - now.getTime() < (notAfter - notBefore) * ROTATE_WHEN_REMAINING_BELOW) return 'expiring';
  if (wanted) {
    const present = subjectAltNames(pem);
    if (!sameNames(present.dnsNames, wanted.dnsNames) || !sameNames(present.ipAddresses, wanted.ipAddresses)) {
      return 'subjectAltNamesChanged';
    }
  }
  return null;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM bundle, each as its own PEM block. */
export function splitCertificates(bundle: string): string[] {
  return bundle.match(PEM_CERTIFICATE) ?? [];
}

/**
 * A PEM trust bundle of `authorities` (PEM, any may itself be a bundle) without duplicates and without
 * certificates already expired at `now`, in the order given (newest first by convention).
 */
export function trustBundle(authorities: string[], now: Date): string {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const pem of authorities.flatMap(splitCertificates)) {
    const certificate = parse(pem);
    if (seen.has(certificate.fingerprint256) || new Date(certificate.validTo).getTime() <= now.getTime()) continue;
    seen.add(certificate.fingerprint256);
    kept.push(`${pem}\n`);
  }
  return kept.join('');
}

/** The `caBundle` field of a webhook configuration: base64 of the PEM bundle. */
export function toCaBundle(pemBundle: string): string {
  return Buffer.from(pemBundle).toString('base64');
}

/** Whether `cert` (PEM) was signed by the CA `authority` (PEM). */
export function isIssuedBy(cert: string, authority: string): boolean {
  const ca = parse(authority);
  const leaf = parse(cert);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}
