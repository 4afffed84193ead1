// Order of `tls.crt`: the leaf first, then each certificate's issuer (what
// APIG checks with APIG.2104), and the time checks over that chain.
import { CertificateInputError } from './errors.ts';
import type { InputField } from './errors.ts';
import { describeCertificate } from './certificate.ts';
import type { ParsedCertificate } from './certificate.ts';

/** The last second APIG accepts as notAfter (2^31 - 1 seconds after the epoch). */
export const LATEST_NOT_AFTER = new Date('2038-01-19T03:14:07Z');

export function describeInChain(
  certs: readonly ParsedCertificate[],
  index: number,
  field: InputField,
): string {
  const cert = certs[index]!;
  return index === 0
    ? `the certificate (${describeCertificate(cert)})`
    : `certificate #${index + 1} of ${field} (${describeCertificate(cert)})`;
}

/** One leaf, first, each certificate followed by the one that signed it. */
export function checkChainOrder(certs: readonly ParsedCertificate[], field: InputField): void {
  // A certificate that issued its predecessor is a CA even without basicConstraints (X.509 v1 roots).
  const actsAsCA = (cert: ParsedCertificate, index: number): boolean =>
    cert.isCA || (index > 0 && certs[index - 1]!.issuerKey === cert.subjectKey);
  const leaves = certs.flatMap((cert, index) => (actsAsCA(cert, index) ? [] : [index]));
  if (leaves.length > 1) {
    throw new CertificateInputError(
      'MultipleLeafCertificates',
      field,
      `${field} holds ${leaves.length} end-entity certificates (#${leaves.map((i) => i + 1).join(', #')}); ` +
        'it must hold one leaf certificate followed by its intermediates',
    );
  }
  const leaf = leaves[0];
  if (leaf !== undefined && leaf !== 0) {
    throw new CertificateInputError(
      'ChainOutOfOrder',
      field,
      `${field} starts with a CA certificate; the leaf (${describeCertificate(certs[leaf]!)}) is #${leaf + 1} ` +
        'and must come first, followed by the certificate that issued it',
    );
  }
  for (let index = 0; index + 1 < certs.length; index += 1) {
    const child = certs[index]!;
    const parent = certs[index + 1]!;
    if (child.issuerKey !== parent.subjectKey) {
      throw new CertificateInputError(
        'ChainOutOfOrder',
        field,
        `${describeInChain(certs, index, field)} is issued by "${child.issuer}" but is followed by ` +
          `"${parent.subject}"; each certificate must be followed by its issuer`,
      );
    }
    if (signedBy(child, parent) === false) {
      throw new CertificateInputError(
        'ChainSignatureInvalid',
        field,
        `${describeInChain(certs, index, field)} names "${parent.subject}" as issuer, but ` +
          `certificate #${index + 2}'s key did not sign it (a different CA with the same name?)`,
      );
    }
  }
}

/** undefined when OpenSSL cannot verify this signature algorithm: then only names are compared. */
function signedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean | undefined {
  try {
    return child.x509.verify(parent.x509.publicKey);
  } catch {
    return undefined;
  }
}

/** Every certificate of the chain valid at `now`; the leaf no later than APIG allows. */
export function checkValidity(
  certs: readonly ParsedCertificate[],
  field: InputField,
  now: Date,
): void {
  certs.forEach((cert, index) => {
    if (now.getTime() > cert.notAfter.getTime()) {
      throw new CertificateInputError(
        'CertificateExpired',
        field,
        `${describeInChain(certs, index, field)} expired at ${cert.notAfter.toISOString()}`,
      );
    }
    if (now.getTime() < cert.notBefore.getTime()) {
      throw new CertificateInputError(
        'CertificateNotYetValid',
        field,
        `${describeInChain(certs, index, field)} is not valid before ${cert.notBefore.toISOString()}`,
        cert.notBefore,
      );
    }
  });
  const leaf = certs[0]!;
  if (leaf.notAfter.getTime() > LATEST_NOT_AFTER.getTime()) {
    throw new CertificateInputError(
      'ExpiresAfter2038',
      field,
      `${describeInChain(certs, 0, field)} is valid until ${leaf.notAfter.toISOString()}; ` +
        `APIG accepts only certificates that expire by ${LATEST_NOT_AFTER.toISOString()}`,
    );
  }
}
