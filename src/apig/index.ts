// The public surface of the APIG / ROMA Connect client for main.ts and the controller.
export { createApigClient, MAX_PAGE_SIZE, SERVICE_PATH_SEGMENT } from './client.ts';
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
  isWriteOperation,
} from './errors.ts';
export type { ApigErrorKind, ApigOperation } from './errors.ts';
export { apigRefusal, CERTIFICATE_ATTACHED_CODE } from './refusals.ts';
export type { ApigRefusal } from './refusals.ts';
export type { RateLimit } from './rate-limit.ts';
