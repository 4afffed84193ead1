// The APIG refusals the certificate lifecycle branches on, named once. Callers
// ask `apigRefusal(error)` instead of comparing APIG codes themselves.
import { isApigError, type ApigOperation } from './errors.ts';

export type ApigRefusal =
  /** 404 APIG.3021 / APIG.3025: the certificate does not exist (any call on one). */
  | 'certificateNotFound'
  /** DELETE refused because the certificate is still attached to a domain. */
  | 'certificateAttached'
  /** 404 APIG.3020 on attach/detach: the domain is not bound to an API group (of those gateways). */
  | 'domainNotFound'
  /** 400 APIG.2012 `parameterName:instance_ids` on attach/detach: the domain is on another gateway. */
  | 'instanceMismatch'
  /** 400 APIG.2051 on attach: the domain already has a different certificate. */
  | 'domainHasOtherCertificate'
  /** 400 APIG.2000 "no valid domain name" on detach: none of the domains is attached (done already). */
  | 'alreadyDetached';

/**
 * The code APIG answers a DELETE of an attached certificate with. Huawei
 * documents the refusal ("only certificates not bound to any domain name can
 * be deleted") but not its code: this one is inferred from the 403 APIG.34xx
 * "cannot be deleted because it has been bound" family.
 */
export const CERTIFICATE_ATTACHED_CODE = 'APIG.3472';

const CERTIFICATE_NOT_FOUND_CODES: ReadonlySet<string> = new Set(['APIG.3021', 'APIG.3025']);
const DOMAIN_OPERATIONS: ReadonlySet<ApigOperation> = new Set(['attachDomains', 'detachDomains']);

/** Which lifecycle refusal `error` is, or undefined for any other outcome. */
export function apigRefusal(error: unknown): ApigRefusal | undefined {
  if (!isApigError(error) || error.errorCode === undefined) return undefined;
  const { operation, errorCode } = error;
  const message = error.errorMessage ?? '';
  if (CERTIFICATE_NOT_FOUND_CODES.has(errorCode)) return 'certificateNotFound';
  if (operation === 'deleteCertificate' && errorCode === CERTIFICATE_ATTACHED_CODE) {
    return 'certificateAttached';
  }
  if (!DOMAIN_OPERATIONS.has(operation)) return undefined;
  if (errorCode === 'APIG.3020') return 'domainNotFound';
  if (errorCode === 'APIG.2012' && /parameterName:\s*instance_ids\b/.test(message)) {
    return 'instanceMismatch';
  }
  if (operation === 'attachDomains' && errorCode === 'APIG.2051') {
    return 'domainHasOtherCertificate';
  }
  if (
    operation === 'detachDomains' &&
    errorCode === 'APIG.2000' &&
    /no valid domain name/i.test(message)
  ) {
    return 'alreadyDetached';
  }
  return undefined;
}
