// One X.509 certificate, read twice: by OpenSSL through node:crypto (for
// signatures, keys and the fingerprint, including SM2) and by
// @peculiar/asn1-x509 (for names, extensions and dates as structured data).
// @peculiar/x509 is a test-only dependency: it verifies through WebCrypto,
// which has no SM2, and needs a global Reflect metadata polyfill at load.
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BasicConstraints,
  Certificate,
  SubjectAlternativeName,
  id_ce_basicConstraints,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import type { GeneralName } from '@peculiar/asn1-x509';
import {
  OID_COMMON_NAME,
  OID_SUBJECT_SERIAL_NUMBER,
  formatName,
  nameAttribute,
  nameKey,
} from './distinguished-name.ts';

export interface ParsedCertificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  /** RFC 4514 text, e.g. `CN=app.example.com, O=Example`. */
  readonly subject: string;
  readonly issuer: string;
  /** Comparison keys: a certificate is issued by another when issuerKey equals the other's subjectKey. */
  readonly subjectKey: string;
  readonly issuerKey: string;
  readonly commonName: string | undefined;
  readonly issuerCommonName: string | undefined;
  /** The subject's serialNumber attribute (2.5.4.5), not the certificate serial. */
  readonly subjectSerialNumber: string | undefined;
  /** undefined when the certificate has no subjectAltName extension. */
  readonly subjectAltNames: readonly string[] | undefined;
  readonly isCA: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lowercase hex without the DER sign byte, e.g. `1234567890`. */
  readonly serialNumberHex: string;
}

/** Parses DER; undefined when either parser refuses it. */
export function parseCertificate(der: Buffer): ParsedCertificate | undefined {
  let x509: X509Certificate;
  let asn: Certificate;
  try {
    x509 = new X509Certificate(der);
    asn = AsnConvert.parse(der, Certificate);
  } catch {
    return undefined;
  }
  const tbs = asn.tbsCertificate;
  let subjectAltNames: string[] | undefined;
  let isCA = false;
  try {
    for (const extension of tbs.extensions ?? []) {
      const value = extension.extnValue.buffer;
      if (extension.extnID === id_ce_subjectAltName) {
        subjectAltNames = AsnConvert.parse(value, SubjectAlternativeName).map(formatGeneralName);
      } else if (extension.extnID === id_ce_basicConstraints) {
        isCA = AsnConvert.parse(value, BasicConstraints).cA;
      }
    }
  } catch {
    return undefined;
  }
  return {
    der,
    x509,
    subject: formatName(tbs.subject),
    issuer: formatName(tbs.issuer),
    subjectKey: nameKey(tbs.subject),
    issuerKey: nameKey(tbs.issuer),
    commonName: nameAttribute(tbs.subject, OID_COMMON_NAME),
    issuerCommonName: nameAttribute(tbs.issuer, OID_COMMON_NAME),
    subjectSerialNumber: nameAttribute(tbs.subject, OID_SUBJECT_SERIAL_NUMBER),
    subjectAltNames,
    isCA,
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    serialNumberHex: serialHex(tbs.serialNumber),
  };
}

function serialHex(serial: ArrayBuffer): string {
  const hex = Buffer.from(serial)
    .toString('hex')
    .replace(/^(00)+/, '');
  return hex === '' ? '0' : hex;
}

/** DNS names, IP addresses, e-mail addresses and URIs as plain values; other kinds tagged. */
function formatGeneralName(name: GeneralName): string {
  if (name.dNSName !== undefined) return name.dNSName;
  if (name.iPAddress !== undefined) return name.iPAddress;
  if (name.rfc822Name !== undefined) return name.rfc822Name;
  if (name.uniformResourceIdentifier !== undefined) return name.uniformResourceIdentifier;
  if (name.directoryName !== undefined) return `DirName:${formatName(name.directoryName)}`;
  if (name.registeredID !== undefined) return `RID:${name.registeredID}`;
  if (name.otherName !== undefined) return `othername:${name.otherName.typeId}`;
  return 'unsupported';
}

/** How a certificate is named in messages: its subject and serial, both public. */
export function describeCertificate(cert: ParsedCertificate): string {
  return `${cert.subject || '(empty subject)'}, serial ${cert.serialNumberHex}`;
}
