// The certificate checks the reconciler runs before anything is sent to APIG.
export { validateTlsInputs, TLS_SECRET_TYPE } from './validate.ts';
export type {
  CertificatePayload,
  CertificateSummary,
  SecretInput,
  TlsInputs,
  ValidatedCertificate,
  ValidationResult,
} from './validate.ts';
export { CERTIFICATE_INPUT_REASONS, CertificateInputError } from './errors.ts';
export type { CertificateInputReason, InputField, SecretField } from './errors.ts';
export { TEMPORARY_CERTIFICATE_ANNOTATION } from './temporary.ts';
export { LATEST_NOT_AFTER } from './chain.ts';
