// The certificate step of the lifecycle: find the APIG certificate (the
// spec's ID, the one status recorded, one adopted by name, or a new one),
// read it back when a check is due or a write's outcome was unknown, and
// send the Secret's content when APIG lacks it. A create is recorded in
// status (pendingCreate) before its POST is sent, so that a pass after a crash
// knows the certificate it finds by name as its own.
import {
  apigRefusal,
  isApigError,
  type ApigCertificate,
  type ApigClient,
  type ApigError,
  type ApigOperation,
  type CertificateTarget,
} from '../../apig/index.ts';
import { hasErrorKind } from '../../common/errors.ts';
import { REASONS } from '../conditions.ts';
import { apigFailure, invalid, ready, synced } from '../outcome.ts';
import {
  digestFor,
  syncContent,
  type CheckedInputs,
  type ReconcileInput,
  type ReconcileOutcome,
} from '../reconcile.ts';
import { createStep, untilExpiry, type LifecycleIo } from './create-step.ts';
import {
  chooseCertificate,
  createdEarlier,
  knownCertificate,
  pendingCreateOf,
  settlePendingCreate,
} from './adopt.ts';
import {
  certificateDrift,
  describeDrift,
  driftCheckInMs,
  driftIdentity,
  type DriftKind,
} from './drift.ts';

/** Every certificate call of the APIG client (each ApigOperation but the IAM token's). */
export type LifecycleApig = Pick<ApigClient, Exclude<ApigOperation, 'iamToken'>>;

export interface LifecycleInput extends ReconcileInput {
  /** `namespace/name` of the older resource that owns this target (ownership.ts). */
  ownedBy?: string | undefined;
  /** DRIFT_CHECK_INTERVAL; 0: no periodic read-back. */
  driftCheckIntervalMs: number;
  /** A write of an earlier pass ended with an unknown outcome: GET before writing again. */
  readBackFirst?: boolean | undefined;
  /** DRY_RUN: reads only; writes are planned, not sent. */
  dryRun?: boolean | undefined;
}

/** The content step's result: the outcome, and the certificate ID when one is known. */
export interface ContentStep {
  outcome: ReconcileOutcome;
  certificateId?: string | undefined;
  /** A GET read APIG back this pass (status.lastDriftCheckTime). */
  checked: boolean;
}

const IN_SYNC: ReadonlySet<string> = new Set(['synced', 'unchanged']);

export function contentInSync(step: ContentStep): boolean {
  return IN_SYNC.has(step.outcome.result) && step.certificateId !== undefined;
}

/** The certificate step, its pending create settled once the ID is recorded. */
export async function contentStep(
  input: LifecycleInput,
  checked: CheckedInputs,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const step = await certificateStep(input, checked, io, signal);
  return { ...step, outcome: settlePendingCreate(step.outcome) };
}

async function certificateStep(
  input: LifecycleInput,
  checked: CheckedInputs,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const { apig } = io;
  const { resource, acceptedEarlier } = input;
  const { spec } = resource;
  const status = resource.status ?? {};
  const known =
    knownCertificate(spec.certificateId, status) ??
    (acceptedEarlier
      ? {
          kind: 'known' as const,
          certificateId: acceptedEarlier.answer.id,
          created: acceptedEarlier.created === true,
        }
      : undefined);
  if (spec.suspend) {
    if (known)
      return {
        outcome: await syncContent(input, checked, known.certificateId, apig),
        certificateId: known.certificateId,
        checked: false,
      };
    const message = 'spec.suspend is true; no APIG certificate has been found or created yet';
    return {
      outcome: { result: 'suspended', status: ready(input, false, REASONS.suspended, message) },
      checked: false,
    };
  }
  try {
    if (known) {
      const due = driftCheckInMs(
        status.lastDriftCheckTime,
        status.lastSyncTime,
        input.now,
        input.driftCheckIntervalMs,
        driftIdentity(resource.metadata),
      );
      if (!input.readBackFirst && due !== 0) {
        const outcome = await syncContent(input, checked, known.certificateId, apig, signal);
        return { outcome, certificateId: known.certificateId, checked: false };
      }
      return await readBack(input, checked, known.certificateId, io, signal);
    }
    return await findOrCreate(input, checked, io, signal);
  } catch (error) {
    if (signal?.aborted || !isApigError(error)) throw error;
    const digest = digestFor(input, checked, known?.certificateId ?? '');
    return {
      outcome: apigFailure(input, error, digest),
      certificateId: known?.certificateId,
      checked: false,
    };
  }
}

/**
 * GET the certificate and compare it with the leaf. APIG holds it: recorded
 * without a write. It differs although status says synced: drift, one
 * corrective write. Deleted in the console: recreated when found by name,
 * ApigCertificateNotFound when the spec pins the ID.
 */
async function readBack(
  input: LifecycleInput,
  checked: CheckedInputs,
  certificateId: string,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const { apig } = io;
  const target = targetOf(checked, certificateId);
  const digest = digestFor(input, checked, certificateId);
  const status = input.resource.status ?? {};
  let held: ApigCertificate | undefined;
  try {
    held = await apig.showCertificate(target, signal);
  } catch (error) {
    // An answer without serial or not-after (a certificate never given
    // content) says nothing to compare: the content is sent, as for a difference.
    if (!signal?.aborted && hasErrorKind(error, 'protocol')) held = undefined;
    else if (signal?.aborted || !isGone(error)) throw error;
    else return await gone(input, checked, certificateId, error, io, signal);
  }
  if (!held) {
    return {
      outcome: await resend(input, checked, certificateId, apig, signal),
      certificateId,
      checked: true,
    };
  }
  const kinds = certificateDrift(held, checked.validated.leaf);
  if (kinds.length === 0) {
    const outcome =
      status.syncedHash === digest
        ? await syncContent(input, checked, certificateId, apig, signal)
        : synced(
            input,
            { digest, answer: held, at: input.now },
            untilExpiry(input, checked),
            'read back',
          );
    return { outcome, certificateId, checked: true };
  }
  const outcome = await resend(input, checked, certificateId, apig, signal);
  const drifted = status.syncedHash === digest;
  return {
    outcome: withDrift(
      outcome,
      kinds,
      drifted,
      `serial ${held.serialNumber}, not after ${held.notAfter} in APIG; the Secret holds serial ${checked.validated.leaf.serialNumberDecimal}, not after ${checked.validated.leaf.notAfter.toISOString()}`,
    ),
    certificateId,
    checked: true,
  };
}

/** The certificate is gone from APIG (deleted in the console). */
async function gone(
  input: LifecycleInput,
  checked: CheckedInputs,
  certificateId: string,
  error: ApigError,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const status = input.resource.status ?? {};
  if (input.resource.spec.certificateId) {
    const outcome = apigFailure(input, error, digestFor(input, checked, certificateId));
    return {
      outcome: withDrift(outcome, ['deleted'], status.syncedHash !== undefined),
      certificateId,
      checked: true,
    };
  }
  // Found by name (or created) earlier and deleted since: start over by name.
  const { certificateId: _gone, created: _created, syncedHash: _hash, ...rest } = status;
  const fresh: LifecycleInput = {
    ...input,
    acceptedEarlier: undefined,
    resource: { ...input.resource, status: rest },
  };
  const step = await findOrCreate(fresh, checked, io, signal);
  return { ...step, outcome: withDrift(step.outcome, ['deleted'], true), checked: true };
}

/** APIG holds something else: send the content once more, whatever status said. */
function resend(
  input: LifecycleInput,
  checked: CheckedInputs,
  certificateId: string,
  apig: LifecycleApig,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  const { syncedHash: _stale, ...rest } = input.resource.status ?? {};
  const fresh: LifecycleInput = {
    ...input,
    acceptedEarlier: undefined,
    resource: { ...input.resource, status: rest },
  };
  return syncContent(fresh, checked, certificateId, apig, signal);
}

/**
 * No ID known: the one certificate of the scope named spec.name, or a new
 * one. One found while status records our create of that name and scope is
 * the one that POST made (its answer was lost): recorded as created.
 */
async function findOrCreate(
  input: LifecycleInput,
  checked: CheckedInputs,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const { spec } = input.resource;
  const status = input.resource.status ?? {};
  const scope = scopeOf(input, checked);
  const listed = await io.apig.listCertificates({ ...scope, name: spec.name }, signal);
  const intent = pendingCreateOf(spec.name, scope);
  const choice = chooseCertificate(intent, listed, status.pendingCreate);
  if (choice.kind === 'ambiguous') {
    const message = `${choice.certificateIds.length} APIG certificates are named ${spec.name} in this scope (${choice.certificateIds.join(', ')}); set spec.certificateId to the one to keep, or rename or delete the others`;
    return { outcome: invalid(input, REASONS.ambiguousName, message), checked: false };
  }
  if (choice.kind === 'adopt') {
    const step = await readBack(input, checked, choice.certificateId, io, signal);
    return choice.created ? { ...step, outcome: createdEarlier(step.outcome) } : step;
  }
  return createStep(input, checked, intent, io, signal);
}

function isGone(error: unknown): error is ApigError {
  return (
    isApigError(error) &&
    (error.kind === 'notFound' || apigRefusal(error) === 'certificateNotFound')
  );
}

function withDrift(
  outcome: ReconcileOutcome,
  kinds: readonly DriftKind[],
  drifted: boolean,
  detail?: string,
): ReconcileOutcome {
  if (!drifted) return outcome;
  const corrected = outcome.result === 'synced';
  const message =
    describeDrift(kinds, detail ?? 'the certificate was deleted in APIG') +
    (corrected ? '; corrected' : '');
  // A failure's own event (e.g. ApigCertificateNotFound) says more than Drifted would.
  const event = corrected
    ? { type: 'Warning' as const, reason: REASONS.drifted, message }
    : outcome.event;
  return { ...outcome, drift: kinds, ...(event ? { event } : {}) };
}

function targetOf(checked: CheckedInputs, certificateId: string): CertificateTarget {
  return { certificateId, projectId: checked.projectId };
}

function scopeOf(input: LifecycleInput, checked: CheckedInputs) {
  const { spec } = input.resource;
  const type = spec.type ?? 'global';
  return {
    projectId: checked.projectId,
    type,
    ...(type === 'instance' ? { instanceId: spec.instanceId } : {}),
  };
}
