// The lifecycle in order: check the inputs, one owner per target, SAN
// coverage, then the certificate (find, create, read back, send) and its
// domains. Each step is its own file; this one only sequences them and, under
// DRY_RUN, turns the writes into a Planned condition.
import type { ApigCertificate, CertificateBody } from '../../apig/index.ts';
import { hasErrorKind } from '../../common/errors.ts';
import type { ApigCertificateStatus } from '../../api/v1alpha1.ts';
import { PLANNED, REASONS, setCondition } from '../conditions.ts';
import { invalid } from '../outcome.ts';
import { checkInputs, type ReconcileOutcome } from '../reconcile.ts';
import {
  contentInSync,
  contentStep,
  type LifecycleApig,
  type LifecycleInput,
} from './content-step.ts';
import type { LifecycleIo } from './create-step.ts';
import { domainStep } from './domain-step.ts';
import { uncoveredDomains } from './domains.ts';
import { driftCheckInMs, driftIdentity } from './drift.ts';

export type { LifecycleApig, LifecycleInput } from './content-step.ts';
export type { LifecycleIo, RecordIntent } from './create-step.ts';

export async function reconcileLifecycle(
  input: LifecycleInput,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  const checked = checkInputs(input);
  if ('result' in checked) return checked;
  const { spec } = input.resource;
  if (input.ownedBy) {
    return invalid(
      input,
      REASONS.duplicateTarget,
      `${input.ownedBy} (older) already keeps this APIG certificate; nothing is sent for this resource until that one is deleted or targets another`,
    );
  }
  const sans = checked.validated.leaf.subjectAltNames;
  const uncovered = uncoveredDomains(spec.domains ?? [], sans);
  if (uncovered.length > 0) {
    return invalid(
      input,
      REASONS.domainNotCovered,
      `spec.domains: ${uncovered.join(', ')} not covered by the certificate's SANs (${sans.join(', ') || 'none'})`,
    );
  }
  const planned: string[] | undefined = input.dryRun ? [] : undefined;
  const calls = planned ? planningApig(io.apig, planned) : io.apig;
  let outcome: ReconcileOutcome;
  try {
    const content = await contentStep(input, checked, { ...io, apig: calls }, signal);
    outcome = content.outcome;
    if (content.checked) {
      outcome = {
        ...outcome,
        status: { ...outcome.status, lastDriftCheckTime: input.now.toISOString() },
      };
    }
    if (contentInSync(content) && content.certificateId) {
      const target = { certificateId: content.certificateId, projectId: checked.projectId };
      outcome = await domainStep(
        { input, outcome, target, checked: content.checked, planned },
        calls,
        signal,
      );
    }
  } catch (error) {
    if (!hasErrorKind(error, 'plannedWrite')) throw error;
    outcome = { result: 'unchanged', status: input.resource.status ?? {} };
  }
  outcome = withDriftRequeue(input, outcome);
  return planned ? withPlan(input, outcome, planned) : outcome;
}

/** An in-sync resource runs again when its next drift check is due (if before its expiry). */
function withDriftRequeue(input: LifecycleInput, outcome: ReconcileOutcome): ReconcileOutcome {
  if (outcome.result !== 'synced' && outcome.result !== 'unchanged') return outcome;
  const { metadata } = input.resource;
  const wait = driftCheckInMs(
    outcome.status.lastDriftCheckTime,
    outcome.status.lastSyncTime,
    input.now,
    input.driftCheckIntervalMs,
    driftIdentity(metadata),
  );
  if (wait === undefined) return outcome;
  const requeueAfterMs = Math.min(outcome.requeueAfterMs ?? wait, wait);
  return { ...outcome, requeueAfterMs };
}

/** Thrown by a planned write that returns what APIG would hold: the pass stops there. */
class PlannedWrite extends Error {
  override readonly name = 'PlannedWrite';
  readonly kind = 'plannedWrite';
}

/**
 * DRY_RUN's APIG: reads go to APIG; each write is described in `planned`.
 * A certificate write stops the pass (what would follow depends on APIG's
 * answer); attach, detach and delete are described and skipped.
 */
function planningApig(apig: LifecycleApig, planned: string[]): LifecycleApig {
  const stop = (description: string): Promise<ApigCertificate> => {
    planned.push(description);
    return Promise.reject(new PlannedWrite(description));
  };
  const skip = (description: string): Promise<void> => {
    planned.push(description);
    return Promise.resolve();
  };
  const what = (body: CertificateBody) => `${body.name}`;
  return {
    showCertificate: (target, signal) => apig.showCertificate(target, signal),
    listCertificates: (query, signal) => apig.listCertificates(query, signal),
    listAttachedDomains: (target, signal) => apig.listAttachedDomains(target, signal),
    updateCertificate: (target, body) =>
      stop(`update certificate ${target.certificateId} (${what(body)})`),
    createCertificate: (_scope, body) => stop(`create certificate ${what(body)}`),
    deleteCertificate: (target) => skip(`delete certificate ${target.certificateId}`),
    attachDomains: (target, domains) =>
      skip(`attach ${domains.map((d) => d.domain).join(', ')} to ${target.certificateId}`),
    detachDomains: (target, domains) =>
      skip(`detach ${domains.map((d) => d.domain).join(', ')} from ${target.certificateId}`),
  };
}

/** DRY_RUN: the Planned condition (and a Normal event) naming the writes that would be sent. */
function withPlan(
  input: LifecycleInput,
  outcome: ReconcileOutcome,
  planned: readonly string[],
): ReconcileOutcome {
  const generation = input.resource.metadata.generation;
  const any = planned.length > 0;
  const message = any
    ? `DRY_RUN: would ${planned.join('; ')}`
    : 'DRY_RUN: APIG already holds what the spec and Secret say';
  const status: ApigCertificateStatus = {
    ...outcome.status,
    conditions: setCondition(
      outcome.status.conditions,
      {
        type: PLANNED,
        status: any ? 'True' : 'False',
        reason: any ? REASONS.dryRunWrites : REASONS.dryRunNothing,
        message,
        observedGeneration: generation,
      },
      input.now,
    ),
  };
  const { accepted: _none, ...rest } = outcome;
  return any
    ? { ...rest, status, event: { type: 'Normal', reason: PLANNED, message } }
    : { ...rest, status };
}
