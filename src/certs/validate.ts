// The one entry point of the certificate checks: from the Secret(s) and the
// spec to the exact bytes APIG will receive, or the first thing wrong.
import { createPublicKey } from 'node:crypto';
import { ALGORITHM_TYPES, isAlgorithmType, type AlgorithmType } from '../api/v1alpha1.ts';
import type { ParsedCertificate } from './certificate.ts';
import { checkChainOrder, checkValidity, describeInChain } from './chain.ts';
import { CertificateInputError, isCertificateInputError } from './errors.ts';
import type { InputField, SecretField } from './errors.ts';
import { decodeBase64, encodePem } from './pem.ts';
import {
  normaliseTrustedRootCA,
  readCertificates,
  readKey,
  readKeyBlock,
  type UsableKey,
} from './pem-content.ts';
import { hasTemporaryAnnotation, temporaryCertificateMark } from './temporary.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

/** The parts of a Secret the checks read; `data` values base64 as the API returns them. */
export interface SecretInput {
  readonly type?: string | undefined;
  readonly data?: Readonly<Record<string, string>> | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
}

export interface TlsInputs {
  /** The `kubernetes.io/tls` Secret named by `spec.secretRef`. */
  readonly secret: SecretInput;
  /** The Secret named by `spec.signSecretRef` (SM2 signing pair), when the spec names one. */
  readonly signSecret?: SecretInput | undefined;
  /** `spec.trustedRootCA` as PEM text (decode a Secret value from base64 first). */
  readonly trustedRootCA?: string | undefined;
  /** `spec.algorithmType`; detected from the key when absent. */
  readonly algorithmType?: string | undefined;
  /** The clock, for the validity checks. */
  readonly now: Date;
}

/** Public facts about a certificate, for status fields and events. */
export interface CertificateSummary {
  /** RFC 4514, most specific first: `CN=app.example.com, O=Example`. */
  readonly subject: string;
  readonly commonName: string | undefined;
  /** DNS names, IP addresses, e-mails and URIs of the subjectAltName, in order. */
  readonly subjectAltNames: readonly string[];
  readonly issuer: string;
  /** Lowercase hex without leading zero bytes, as openssl and kubectl show it. */
  readonly serialNumber: string;
  /** The same serial in decimal, the form APIG's `serial_number` examples use. */
  readonly serialNumberDecimal: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SHA-256 of the DER certificate, uppercase hex pairs joined by `:`. */
  readonly fingerprintSha256: string;
}

/**
 * The certificate fields of the APIG create / modify body, named as
 * `CertificateBody` in src/apig/certificate.ts names them, so the reconciler
 * can write `{ name, type, instanceId, ...validated.payload }`. Holds private
 * keys: never log it, put it in an event or status; hash it for change
 * detection.
 */
export interface CertificatePayload {
  /** Leaf then intermediates: canonical PEM blocks joined by `\n`, no trailing newline. */
  readonly certContent: string;
  /** Canonical PEM of the key, in the block type the Secret had (PKCS#8, PKCS#1 or SEC1). */
  readonly privateKey: string;
  readonly algorithmType: AlgorithmType;
  /** SM2 only: the signing pair (then certContent/privateKey are the encryption pair). */
  readonly certContentSign?: string;
  readonly privateKeySign?: string;
  /** Canonical PEM of `spec.trustedRootCA`, when given. */
  readonly trustedRootCa?: string;
}

export interface ValidatedCertificate {
  readonly algorithmType: AlgorithmType;
  /** True when `spec.algorithmType` was absent and the type was read from the key. */
  readonly algorithmDetected: boolean;
  /** e.g. `RSA`, `ECC P-256`, `SM2`. */
  readonly keyDescription: string;
  readonly leaf: CertificateSummary;
  /** Certificates in `cert_content`: 1 for a leaf alone, 2 with one intermediate, ... */
  readonly chainLength: number;
  /** SM2 only: the signing certificate. */
  readonly signLeaf?: CertificateSummary;
  readonly payload: CertificatePayload;
}

export type ValidationResult =
  | { readonly ok: true; readonly value: ValidatedCertificate }
  | { readonly ok: false; readonly error: CertificateInputError };

/**
 * Checks everything APIG checks (and what it should) before a single byte is
 * sent. Pure: no I/O, the clock is `inputs.now`. Returns the first failure,
 * in a fixed order: the algorithmType value; then the Secret's type,
 * temporary annotation, data, PEM, certificates, key, temporary certificate,
 * chain, key match, dates and SAN; then algorithmType against the key, the
 * SM2 signing pair (same checks) and the trusted root CA.
 */
export function validateTlsInputs(inputs: TlsInputs): ValidationResult {
  try {
    return { ok: true, value: validate(inputs) };
  } catch (error) {
    if (isCertificateInputError(error)) return { ok: false, error };
    throw error;
  }
}

function validate(inputs: TlsInputs): ValidatedCertificate {
  const requested = inputs.algorithmType;
  if (requested !== undefined && !isAlgorithmType(requested)) {
    throw new CertificateInputError(
      'AlgorithmTypeInvalid',
      'spec.algorithmType',
      `spec.algorithmType "${requested}" is not one of ${ALGORITHM_TYPES.join(', ')}`,
    );
  }
  const main = validatePair(inputs.secret, MAIN_SECRET, inputs.now);
  const algorithmType = main.key.algorithmType;
  if (requested !== undefined && requested !== algorithmType) {
    throw new CertificateInputError(
      'AlgorithmMismatch',
      'spec.algorithmType',
      `spec.algorithmType is ${requested} but tls.key holds an ${main.key.description} key`,
    );
  }

  let sign: ValidatedPair | undefined;
  if (algorithmType === 'SM2') {
    if (!inputs.signSecret) {
      throw new CertificateInputError(
        'SignPairMissing',
        'spec.signSecretRef',
        'the certificate is SM2: APIG needs the SM2 signing pair too; name its Secret in spec.signSecretRef',
      );
    }
    sign = validatePair(inputs.signSecret, SIGN_SECRET, inputs.now);
    if (sign.key.algorithmType !== 'SM2') {
      throw new CertificateInputError(
        'AlgorithmMismatch',
        'signSecret.tls.key',
        `the SM2 signing Secret's tls.key holds an ${sign.key.description} key; it must be SM2`,
      );
    }
  } else if (inputs.signSecret) {
    throw new CertificateInputError(
      'SignPairUnexpected',
      'spec.signSecretRef',
      `spec.signSecretRef names a signing pair, which only SM2 certificates use; tls.key holds an ${main.key.description} key`,
    );
  }

  const trustedRootCA =
    inputs.trustedRootCA === undefined ? undefined : normaliseTrustedRootCA(inputs.trustedRootCA);

  return {
    algorithmType,
    algorithmDetected: requested === undefined,
    keyDescription: main.key.description,
    leaf: summarise(main.certificates[0]!),
    chainLength: main.certificates.length,
    ...(sign && { signLeaf: summarise(sign.certificates[0]!) }),
    payload: {
      certContent: main.certContent,
      privateKey: main.privateKey,
      algorithmType,
      ...(sign && { certContentSign: sign.certContent, privateKeySign: sign.privateKey }),
      ...(trustedRootCA !== undefined && { trustedRootCa: trustedRootCA }),
    },
  };
}

interface SecretRole {
  readonly prefix: '' | 'signSecret.';
  /** How messages name the Secret. */
  readonly noun: string;
}
const MAIN_SECRET: SecretRole = { prefix: '', noun: 'the Secret' };
const SIGN_SECRET: SecretRole = { prefix: 'signSecret.', noun: 'the SM2 signing Secret' };

function fieldOf(role: SecretRole, field: SecretField): InputField {
  return `${role.prefix}${field}`;
}

interface ValidatedPair {
  readonly certificates: readonly ParsedCertificate[];
  readonly key: UsableKey;
  readonly certContent: string;
  readonly privateKey: string;
}

function validatePair(secret: SecretInput, role: SecretRole, now: Date): ValidatedPair {
  if (secret.type !== TLS_SECRET_TYPE) {
    throw new CertificateInputError(
      'SecretTypeInvalid',
      fieldOf(role, 'type'),
      `${role.noun} has type "${secret.type ?? 'Opaque'}"; it must be ${TLS_SECRET_TYPE}`,
    );
  }
  if (hasTemporaryAnnotation(secret.annotations)) {
    throw new CertificateInputError(
      'TemporaryCertificate',
      fieldOf(role, 'metadata.annotations'),
      `${role.noun} is annotated cert-manager.io/issue-temporary-certificate: "true"; ` +
        'waiting for the issued certificate',
    );
  }
  const crtField = fieldOf(role, 'tls.crt');
  const keyField = fieldOf(role, 'tls.key');
  const crtBytes = secretValue(secret, 'tls.crt', role);
  const keyBytes = secretValue(secret, 'tls.key', role);

  const certificates = readCertificates(crtBytes, crtField);
  const keyBlock = readKeyBlock(keyBytes, keyField);
  const key = readKey(keyBlock, keyField);

  const leaf = certificates[0]!;
  const mark = temporaryCertificateMark(leaf);
  if (mark) {
    throw new CertificateInputError(
      'TemporaryCertificate',
      crtField,
      `${crtField} holds cert-manager's temporary certificate (${mark}); waiting for the issued certificate`,
    );
  }
  checkChainOrder(certificates, crtField);
  if (!createPublicKey(key.keyObject).equals(leaf.x509.publicKey)) {
    throw new CertificateInputError(
      'KeyMismatch',
      keyField,
      `${keyField} is not the private key of ${describeInChain(certificates, 0, crtField)}`,
    );
  }
  checkValidity(certificates, crtField, now);
  if (!leaf.subjectAltNames?.length) {
    throw new CertificateInputError(
      'NoSubjectAltName',
      crtField,
      `${describeInChain(certificates, 0, crtField)} has no subjectAltName; APIG requires at least one`,
    );
  }
  return {
    certificates,
    key,
    certContent: certificates.map((c) => encodePem('CERTIFICATE', c.der)).join('\n'),
    privateKey: encodePem(keyBlock.label, keyBlock.der),
  };
}

function secretValue(secret: SecretInput, key: 'tls.crt' | 'tls.key', role: SecretRole): Buffer {
  const field = fieldOf(role, key);
  const value = secret.data?.[key];
  if (value === undefined || value === '') {
    throw new CertificateInputError(
      'SecretDataMissing',
      field,
      `${role.noun} has no ${key} or it is empty`,
    );
  }
  const bytes = decodeBase64(value);
  if (!bytes) {
    throw new CertificateInputError(
      'SecretDataInvalid',
      field,
      `${role.noun}'s ${key} is not base64 (Secret data must be base64-encoded)`,
    );
  }
  return bytes;
}

function summarise(cert: ParsedCertificate): CertificateSummary {
  return {
    subject: cert.subject,
    commonName: cert.commonName,
    subjectAltNames: cert.subjectAltNames ?? [],
    issuer: cert.issuer,
    serialNumber: cert.serialNumberHex,
    serialNumberDecimal: BigInt(`0x${cert.serialNumberHex}`).toString(10),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    fingerprintSha256: cert.x509.fingerprint256,
  };
}
