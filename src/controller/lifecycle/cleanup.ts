// deletionPolicy: when the finalizer is added or removed, and what a deletion
// cleans up in APIG. Pure: the resource in, a decision out.
import { apigRefusal, isApigError, type ApigError } from '../../apig/index.ts';
import { hasErrorKind } from '../../common/errors.ts';
import type { LifecycleApig } from './content-step.ts';
import {
  CLEANUP_FINALIZER,
  SKIP_CLEANUP_ANNOTATION,
  type ApigCertificateResource,
  type PendingCreate,
} from '../../api/v1alpha1.ts';
import { chooseCertificate } from './adopt.ts';

export type FinalizerStep =
  /** Nothing to do with the finalizer; reconcile as usual. */
  | { kind: 'none' }
  /** Delete policy, finalizer missing: add it before any APIG write. */
  | { kind: 'add' }
  /** Retain policy (or a skip on deletion) with our finalizer: remove it. */
  | { kind: 'remove' }
  /** Being deleted with our finalizer: clean up APIG, then remove it. */
  | {
      kind: 'cleanUp';
      detach: string[];
      deleteCertificateId: string | undefined;
      /** No ID recorded, but a create of ours may have been applied unanswered: find it by name. */
      pendingCreate?: PendingCreate;
    };

export function finalizerStep(resource: ApigCertificateResource): FinalizerStep {
  const { metadata, spec, status } = resource;
  const ours = (metadata.finalizers ?? []).includes(CLEANUP_FINALIZER);
  const deleting = metadata.deletionTimestamp !== undefined;
  if (deleting) {
    if (!ours) return { kind: 'none' };
    if (
      metadata.annotations?.[SKIP_CLEANUP_ANNOTATION] === 'true' ||
      spec.deletionPolicy !== 'Delete'
    ) {
      return { kind: 'remove' };
    }
    const pendingCreate = status?.certificateId === undefined ? status?.pendingCreate : undefined;
    return {
      kind: 'cleanUp',
      detach: [...(status?.attachedDomains ?? [])],
      deleteCertificateId: status?.created ? status.certificateId : undefined,
      ...(pendingCreate ? { pendingCreate } : {}),
    };
  }
  if (spec.deletionPolicy === 'Delete') return ours ? { kind: 'none' } : { kind: 'add' };
  return ours ? { kind: 'remove' } : { kind: 'none' };
}

/** The finalizer list after the step (a JSON merge patch replaces the whole list). */
export function finalizersAfter(
  resource: ApigCertificateResource,
  step: 'add' | 'remove',
): string[] {
  const others = (resource.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
  return step === 'add' ? [...others, CLEANUP_FINALIZER] : others;
}

/** What the Delete policy's APIG calls need: a subset of LifecycleApig. */
export type CleanupApig = Pick<
  LifecycleApig,
  'detachDomains' | 'deleteCertificate' | 'listCertificates'
>;

/**
 * Detaches the domains this resource attached, then deletes the certificate
 * if it created it (also the one a pending create of ours made, found by its
 * name: the process died before recording its ID). Undefined when APIG is
 * clean (a certificate or domain already gone counts as done); else the
 * refusal, for the resource's condition and event (the caller retries with
 * backoff).
 */
export async function cleanUpApig(
  step: Extract<FinalizerStep, { kind: 'cleanUp' }>,
  certificateId: string | undefined,
  projectId: string | undefined,
  apig: CleanupApig,
  signal?: AbortSignal,
): Promise<ApigError | undefined> {
  if (certificateId === undefined) {
    return step.pendingCreate ? deletePendingCreate(step.pendingCreate, apig, signal) : undefined;
  }
  const target = { certificateId, projectId };
  try {
    if (step.detach.length > 0) {
      await apig.detachDomains(
        target,
        step.detach.map((domain) => ({ domain })),
        signal,
      );
    }
  } catch (error) {
    const refusal = apigRefusal(error);
    if (refusal !== 'alreadyDetached' && refusal !== 'certificateNotFound')
      return asApigError(error);
  }
  if (step.deleteCertificateId === undefined) return undefined;
  try {
    await apig.deleteCertificate(target, signal);
  } catch (error) {
    if (!isAlreadyDeleted(error)) return asApigError(error);
  }
  return undefined;
}

/** The one certificate of that name and scope is ours; none, or several (not ours to pick), leave APIG alone. */
async function deletePendingCreate(
  pending: PendingCreate,
  apig: CleanupApig,
  signal?: AbortSignal,
): Promise<ApigError | undefined> {
  const { name: _name, ...scope } = pending;
  try {
    const listed = await apig.listCertificates({ ...scope, name: pending.name }, signal);
    const choice = chooseCertificate(pending, listed, pending);
    if (choice.kind !== 'adopt') return undefined;
    await apig.deleteCertificate(
      { certificateId: choice.certificateId, projectId: scope.projectId },
      signal,
    );
  } catch (error) {
    if (!isAlreadyDeleted(error)) return asApigError(error);
  }
  return undefined;
}

/** A DELETE whose earlier attempt was applied with the answer lost meets this on retry: done. */
function isAlreadyDeleted(error: unknown): boolean {
  return apigRefusal(error) === 'certificateNotFound' || hasErrorKind(error, 'notFound');
}

function asApigError(error: unknown): ApigError {
  if (isApigError(error)) return error;
  throw error;
}
