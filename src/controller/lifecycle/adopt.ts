// Which APIG certificate a resource without spec.certificateId keeps: the one
// of its scope named spec.name (adopt), none (create), or several (refuse),
// and whether an adopted one is the resource's own create (status.pendingCreate).
// Pure: the listing in, a decision out.
import { isDeepStrictEqual } from 'node:util';
import type { ApigCertificateStatus, PendingCreate } from '../../api/v1alpha1.ts';
import type { ReconcileOutcome } from '../reconcile.ts';

/** A listed certificate, the fields the decision reads. */
export interface ListedCertificate {
  id: string;
  name: string;
}

export interface KnownCertificate {
  kind: 'known';
  certificateId: string;
  created: boolean;
}

export type CertificateChoice =
  | KnownCertificate
  /** `created`: the create this resource recorded before its POST names exactly this one. */
  | { kind: 'adopt'; certificateId: string; created: boolean }
  | { kind: 'create' }
  | { kind: 'ambiguous'; certificateIds: string[] };

/**
 * APIG's `name` query is a filter, not an exact match (a listing may hold
 * `shop_cert_old` for `shop_cert`), so only equal names count. `intent` is the
 * create this pass would send (its name and scope); `recorded` the one status
 * holds from an earlier pass, whose POST may have been applied unanswered.
 */
export function chooseCertificate(
  intent: PendingCreate,
  listed: readonly ListedCertificate[],
  recorded?: PendingCreate,
): CertificateChoice {
  const matches = listed.filter((certificate) => certificate.name === intent.name);
  const [only, ...others] = matches;
  if (!only) return { kind: 'create' };
  if (others.length > 0) {
    return { kind: 'ambiguous', certificateIds: matches.map((c) => c.id).sort() };
  }
  return { kind: 'adopt', certificateId: only.id, created: isDeepStrictEqual(recorded, intent) };
}

/** What status.pendingCreate records before a POST of `name` to `scope`. */
export function pendingCreateOf(
  name: string,
  scope: { projectId: string; type: PendingCreate['type']; instanceId?: string | undefined },
): PendingCreate {
  return {
    name,
    type: scope.type,
    ...(scope.instanceId === undefined ? {} : { instanceId: scope.instanceId }),
    projectId: scope.projectId,
  };
}

/**
 * The ID the resource already knows, without a listing: the spec's, or the
 * one status recorded after an earlier adopt or create. A status ID recorded
 * for another spec.name is still the same certificate (a rename is a PUT of
 * the new name to it).
 */
export function knownCertificate(
  specId: string | undefined,
  status: { certificateId?: string | undefined; created?: boolean | undefined } | undefined,
): KnownCertificate | undefined {
  if (specId) return { kind: 'known', certificateId: specId, created: false };
  if (status?.certificateId) {
    return { kind: 'known', certificateId: status.certificateId, created: status.created === true };
  }
  return undefined;
}

export function withoutPendingCreate(
  status: ApigCertificateStatus | undefined,
): ApigCertificateStatus {
  const { pendingCreate: _settled, ...rest } = status ?? {};
  return rest;
}

/** Once the certificate's ID is recorded no create of ours is pending. */
export function settlePendingCreate(outcome: ReconcileOutcome): ReconcileOutcome {
  const { status } = outcome;
  if (status.pendingCreate === undefined || status.certificateId === undefined) return outcome;
  return { ...outcome, status: withoutPendingCreate(status) };
}

/**
 * The certificate found is the one our earlier, unanswered POST made:
 * status.created, also in what the ledger keeps if this status write fails.
 */
export function createdEarlier(outcome: ReconcileOutcome): ReconcileOutcome {
  if (outcome.status.certificateId === undefined) return outcome;
  const accepted = outcome.accepted ? { accepted: { ...outcome.accepted, created: true } } : {};
  return { ...outcome, ...accepted, status: { ...outcome.status, created: true } };
}
