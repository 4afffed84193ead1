import type { Condition } from '../api/v1alpha1.ts';

export const READY = 'Ready';
/** Dry run: the condition that names the APIG writes that would be made. */
export const PLANNED = 'Planned';

/** Reasons of the Ready condition that are not certificate input reasons. */
export const REASONS = {
  synced: 'Synced',
  suspended: 'Suspended',
  secretNotFound: 'SecretNotFound',
  signSecretNotFound: 'SignSecretNotFound',
  trustedRootCANotFound: 'TrustedRootCANotFound',
  projectIdMissing: 'ProjectIdMissing',
  ambiguousName: 'AmbiguousName',
  domainNotCovered: 'DomainNotCovered',
  domainRefused: 'DomainAttachRefused',
  duplicateTarget: 'DuplicateTarget',
  cleanupFailed: 'CleanupFailed',
  /** Event reason (with Ready unchanged): a read-back found APIG different and it was corrected. */
  drifted: 'Drifted',
  /** Planned condition reasons under DRY_RUN. */
  dryRunWrites: 'WritesPlanned',
  dryRunNothing: 'NothingToWrite',
  providerNotFound: 'ProviderNotFound',
  providerNotReady: 'ProviderNotReady',
  noDefaultProvider: 'NoDefaultProvider',
  apig: {
    invalidInput: 'ApigRejected',
    notFound: 'ApigCertificateNotFound',
    forbidden: 'ApigForbidden',
    unauthorized: 'ApigUnauthorized',
    throttled: 'ApigThrottled',
    server: 'ApigUnavailable',
    protocol: 'ApigProtocolError',
  },
} as const;

/**
 * meta.SetStatusCondition: replaces the condition of the same type and keeps
 * its lastTransitionTime unless the status flips. Returns a new array.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const existing = conditions?.find((c) => c.type === next.type);
  const lastTransitionTime =
    existing && existing.status === next.status ? existing.lastTransitionTime : now.toISOString();
  const others = (conditions ?? []).filter((c) => c.type !== next.type);
  return [...others, { ...next, lastTransitionTime }];
}
