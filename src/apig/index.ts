// The public surface of the APIG / ROMA Connect client for main.ts and the controller.
export { createApigClient, SERVICE_PATH_SEGMENT } from './client.ts';
export type {
  ApigClient,
  ApigClientOptions,
  ApigCredentials,
  ApigService,
  CertificateTarget,
} from './client.ts';
export type {
  ApigCertificate,
  CertificateBody,
  CertificateQuery,
  CertificateScope,
} from './certificate.ts';
export type { AttachedDomain, DomainBinding } from './domains.ts';
export type { WorkloadIdentityCredentials } from './workload-identity.ts';
export {
  ApigError,
  ApigForbiddenError,
  ApigInvalidInputError,
  ApigNotFoundError,
  ApigProtocolError,
  ApigServerError,
  ApigThrottledError,
  ApigUnauthorizedError,
  isApigError,
} from './errors.ts';
export { CERTIFICATE_OPERATIONS } from './errors.ts';
export type { ApigErrorKind, ApigOperation, CertificateOperation } from './errors.ts';
export { apigRefusal } from './refusals.ts';
export type { ApigRefusal } from './refusals.ts';
export type { RateLimit } from './rate-limit.ts';
