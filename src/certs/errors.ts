// Typed failures of the certificate input checks. A `reason` becomes the
// Kubernetes condition reason and an event reason, so the values are stable
// API: add new ones, never rename.
import { hasErrorKind } from '../common/errors.ts';

export const CERTIFICATE_INPUT_REASONS = [
  /** The Secret's `type` is not `kubernetes.io/tls`. */
  'SecretTypeInvalid',
  /** `tls.crt` or `tls.key` is absent or empty. */
  'SecretDataMissing',
  /** A data value is not base64 (the API server always returns base64). */
  'SecretDataInvalid',
  /** cert-manager's placeholder certificate, replaced once the real one is issued. */
  'TemporaryCertificate',
  /** `tls.crt` is not PEM text: binary (DER), no PEM block, text outside blocks, broken armor. */
  'CertificateNotPEM',
  /** `tls.crt` is PEM but holds no CERTIFICATE block. */
  'CertificateMissing',
  /** A PEM block of the wrong kind, e.g. a private key inside `tls.crt`, two keys in `tls.key`. */
  'UnexpectedPEMBlock',
  /** A CERTIFICATE block does not hold a parsable X.509 certificate. */
  'CertificateInvalid',
  /** `tls.key` is not PEM text. */
  'PrivateKeyNotPEM',
  /** `tls.key` is PEM but holds no private key. */
  'PrivateKeyMissing',
  /** PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy `Proc-Type: 4,ENCRYPTED` key. */
  'PrivateKeyEncrypted',
  /** The private key block cannot be parsed. */
  'PrivateKeyInvalid',
  /** A parsable key that APIG cannot use (DSA, Ed25519, RSA-PSS, EC curve other than P-256/384/521, SM2). */
  'KeyAlgorithmUnsupported',
  /** More than one end-entity (non-CA) certificate in `tls.crt`. */
  'MultipleLeafCertificates',
  /** The leaf is not first, or a certificate is not followed by its issuer. */
  'ChainOutOfOrder',
  /** A certificate names the next one as issuer, but that one's key did not sign it. */
  'ChainSignatureInvalid',
  /** `tls.key` is not the key of the leaf certificate. */
  'KeyMismatch',
  'CertificateExpired',
  'CertificateNotYetValid',
  /** APIG refuses certificates valid after 2038-01-19T03:14:07Z (APIG.3148). */
  'ExpiresAfter2038',
  /** The leaf has no subjectAltName (APIG.2109). */
  'NoSubjectAltName',
  /** `spec.algorithmType` is not one of RSA, ECC, SM2. */
  'AlgorithmTypeInvalid',
  /** `spec.algorithmType` contradicts the key, or the SM2 signing pair is not SM2. */
  'AlgorithmMismatch',
  /** An SM2 certificate without its signing pair. */
  'SignPairMissing',
  /** A signing pair given for a certificate that is not SM2. */
  'SignPairUnexpected',
  /** The trusted root CA is not PEM or holds something other than certificates. */
  'TrustedRootCAInvalid',
] as const;

export type CertificateInputReason = (typeof CERTIFICATE_INPUT_REASONS)[number];

/** A field of a Secret given to the checks, relative to the Secret. */
export type SecretField = 'type' | 'metadata.annotations' | 'tls.crt' | 'tls.key';

/**
 * What the user has to fix: a field of the certificate Secret (`tls.crt`),
 * of the SM2 signing Secret (`signSecret.tls.key`), or of the resource spec.
 */
export type InputField =
  | SecretField
  | `signSecret.${SecretField}`
  | 'spec.algorithmType'
  | 'spec.signSecretRef'
  | 'spec.trustedRootCA';

/**
 * One failed check. The message is written for a human and built only from
 * public facts (field names, PEM labels, certificate names and dates): it
 * never quotes Secret data, so it is safe in conditions, events and logs.
 */
export class CertificateInputError extends Error {
  override readonly name = 'CertificateInputError';
  readonly kind = 'certificateInput';
  readonly reason: CertificateInputReason;
  readonly field: InputField;
  /** Set when the input becomes valid by itself at that time (a certificate not yet valid). */
  readonly retryAt: Date | undefined;

  constructor(reason: CertificateInputReason, field: InputField, message: string, retryAt?: Date) {
    super(message);
    this.reason = reason;
    this.field = field;
    this.retryAt = retryAt;
  }
}

export function isCertificateInputError(value: unknown): value is CertificateInputError {
  return hasErrorKind(value, 'certificateInput');
}
