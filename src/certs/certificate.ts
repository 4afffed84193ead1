// One X.509 certificate, read twice: by OpenSSL through node:crypto (for
// signatures, keys, dates and the fingerprint, including SM2) and, for the
// names and extensions as structured data, by @peculiar/asn1-x509 on the DER
// slices tbs-fields.ts finds.
// @peculiar/x509 is a test-only dependency: it verifies through WebCrypto,
// which has no SM2, and needs a global Reflect metadata polyfill at load.
import { X509Certificate } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Name, SubjectAlternativeName } from '@peculiar/asn1-x509';
import type { GeneralName } from '@peculiar/asn1-x509';
import {
  OID_COMMON_NAME,
  OID_SUBJECT_SERIAL_NUMBER,
  formatName,
  nameAttribute,
  nameKey,
} from './distinguished-name.ts';
import { readTbsFields } from './tbs-fields.ts';

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

/** The DER content of the two extension OIDs read: 2.5.29.17 and 2.5.29.19. */
const SUBJECT_ALT_NAME_OID = Buffer.from([0x55, 0x1d, 0x11]);
const BASIC_CONSTRAINTS_OID = Buffer.from([0x55, 0x1d, 0x13]);

/** Parses DER; undefined when OpenSSL or the DER reading refuses it. */
export function parseCertificate(der: Buffer): ParsedCertificate | undefined {
  let x509: X509Certificate;
  let subject: Name;
  let issuer: Name;
  let serial: Buffer;
  let subjectAltNames: string[] | undefined;
  let isCA = false;
  try {
    x509 = new X509Certificate(der);
    const tbs = readTbsFields(der);
    subject = AsnConvert.parse(tbs.subject, Name);
    issuer = AsnConvert.parse(tbs.issuer, Name);
    serial = tbs.serial;
    for (const { oid, value } of tbs.extensions) {
      if (oid.equals(SUBJECT_ALT_NAME_OID)) {
        subjectAltNames = AsnConvert.parse(value, SubjectAlternativeName).map(formatGeneralName);
      } else if (oid.equals(BASIC_CONSTRAINTS_OID)) {
        isCA = AsnConvert.parse(value, BasicConstraints).cA;
      }
    }
  } catch {
    return undefined;
  }
  return {
    der,
    x509,
    subject: formatName(subject),
    issuer: formatName(issuer),
    subjectKey: nameKey(subject),
    issuerKey: nameKey(issuer),
    commonName: nameAttribute(subject, OID_COMMON_NAME),
    issuerCommonName: nameAttribute(issuer, OID_COMMON_NAME),
    subjectSerialNumber: nameAttribute(subject, OID_SUBJECT_SERIAL_NUMBER),
    subjectAltNames,
    isCA,
    notBefore: x509.validFromDate,
    notAfter: x509.validToDate,
    serialNumberHex: serialHex(serial),
  };
}

function serialHex(serial: Buffer): string {
  const hex = serial.toString('hex').replace(/^(00)+/, '');
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
