// cert-manager's temporary certificate: with the Certificate annotation
// `cert-manager.io/issue-temporary-certificate: "true"`, cert-manager writes a
// placeholder into the Secret while the real issuer works. Its marks, from
// cert-manager's pki.GenerateLocallySignedTemporaryCertificate: signed by a
// throwaway CA named `CN=cert-manager.local`, with the subject serialNumber
// attribute `1234567890`; releases before v1.0 instead used the certificate
// serial number 0x1234567890.
import type { ParsedCertificate } from './certificate.ts';

export const TEMPORARY_CERTIFICATE_ANNOTATION = 'cert-manager.io/issue-temporary-certificate';
const TEMPORARY_ISSUER_COMMON_NAME = 'cert-manager.local';
const TEMPORARY_SERIAL = '1234567890';

/** Why a certificate looks like cert-manager's placeholder, or undefined. */
export function temporaryCertificateMark(cert: ParsedCertificate): string | undefined {
  if (cert.issuerCommonName === TEMPORARY_ISSUER_COMMON_NAME) {
    return `it is issued by CN=${TEMPORARY_ISSUER_COMMON_NAME}`;
  }
  if (cert.subjectSerialNumber === TEMPORARY_SERIAL) {
    return `its subject serialNumber is ${TEMPORARY_SERIAL}`;
  }
  if (cert.serialNumberHex === TEMPORARY_SERIAL) {
    return `its serial number is 0x${TEMPORARY_SERIAL}`;
  }
  return undefined;
}

/**
 * cert-manager sets the annotation on the Certificate, not on the Secret; it
 * reaches a Secret only when a user copies it there (secretTemplate), and
 * then the user has said the Secret's content is provisional.
 */
export function hasTemporaryAnnotation(
  annotations: Readonly<Record<string, string>> | undefined,
): boolean {
  return annotations?.[TEMPORARY_CERTIFICATE_ANNOTATION] === 'true';
}
