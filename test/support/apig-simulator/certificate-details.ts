// The response fields APIG derives from the certificate it was sent.
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { x509 } from '../x509.ts';
import type { CertificateDetails } from './types.ts';

// Go's x509.SignatureAlgorithm names (APIG's backend shows e.g. "SHA256-RSA").
const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'MD5-RSA',
  '1.2.840.113549.1.1.5': 'SHA1-RSA',
  '1.2.840.113549.1.1.11': 'SHA256-RSA',
  '1.2.840.113549.1.1.12': 'SHA384-RSA',
  '1.2.840.113549.1.1.13': 'SHA512-RSA',
  '1.2.840.10045.4.1': 'ECDSA-SHA1',
  '1.2.840.10045.4.3.2': 'ECDSA-SHA256',
  '1.2.840.10045.4.3.3': 'ECDSA-SHA384',
  '1.2.840.10045.4.3.4': 'ECDSA-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.2.156.10197.1.501': 'SM2-SM3',
};
const RSA_PSS = '1.2.840.113549.1.1.10';

export const EMPTY_DETAILS: CertificateDetails = {
  commonName: '',
  san: [],
  notAfter: '',
  notBefore: '',
  serialNumber: '',
  signatureAlgorithm: '',
  version: 0,
  organization: [],
  organizationalUnit: [],
  locality: [],
  state: [],
  country: [],
  issuer: [],
};

/** 2031-08-16T06:36:13Z: second precision, as APIG writes times. */
export function apigTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function signatureAlgorithmName(der: Buffer, cert: X509.X509Certificate): string {
  const oid = new NodeX509Certificate(der).signatureAlgorithmOid;
  if (oid === RSA_PSS) {
    const hash = (cert.signatureAlgorithm.hash as { name?: string } | undefined)?.name ?? 'SHA-256';
    return `${hash.replace('-', '')}-RSAPSS`;
  }
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
}

/** Reads the explicit [0] version of the TBSCertificate (v1 when absent), as 1, 2 or 3. */
export function certificateVersion(der: Uint8Array): number {
  let offset = 0;
  const enter = (): void => {
    // Skips a tag and its length, leaving offset at the contents.
    offset += 1;
    const first = der[offset]!;
    offset += first < 0x80 ? 1 : 1 + (first & 0x7f);
  };
  enter(); // Certificate SEQUENCE
  enter(); // TBSCertificate SEQUENCE
  if (der[offset] !== 0xa0) return 1;
  enter(); // [0] EXPLICIT
  enter(); // INTEGER
  return der[offset]! + 1;
}

function sanEntries(cert: X509.X509Certificate): string[] {
  const extension = cert.getExtension(x509.SubjectAlternativeNameExtension);
  if (!extension) return [];
  return extension.names.items
    .filter((name) => name.type === 'dns' || name.type === 'ip')
    .map((name) => name.value);
}

export function describeCertificate(der: Buffer): CertificateDetails {
  const cert = new x509.X509Certificate(der);
  const subject = cert.subjectName;
  const issuerName = cert.issuerName;
  const issuerCommonNames = issuerName.getField('CN');
  return {
    commonName: subject.getField('CN')[0] ?? '',
    san: sanEntries(cert),
    notAfter: apigTime(cert.notAfter),
    notBefore: apigTime(cert.notBefore),
    serialNumber: BigInt(`0x${cert.serialNumber}`).toString(10),
    signatureAlgorithm: signatureAlgorithmName(der, cert),
    version: certificateVersion(der),
    organization: subject.getField('O'),
    organizationalUnit: subject.getField('OU'),
    locality: subject.getField('L'),
    state: subject.getField('ST'),
    country: subject.getField('C'),
    // Inferred: the issuer's common name (its organisation when it has none).
    issuer: issuerCommonNames.length > 0 ? issuerCommonNames : issuerName.getField('O'),
  };
}
