// The domain step of the lifecycle: after the certificate holds the Secret's
// content, attach the declared domains APIG lacks, detach the ones this
// resource attached and no longer declares, and report status.domains from
// attached-domains. Runs only when something may have changed (a write, a
// spec change, a drift check, a domain not yet bound): steady state costs no call.
import {
  apigRefusal,
  isApigError,
  type ApigError,
  type CertificateTarget,
} from '../../apig/index.ts';
import type { ApigCertificateStatus } from '../../api/v1alpha1.ts';
import { REASONS } from '../conditions.ts';
import { lastErrorOf, ready } from '../outcome.ts';
import type { ReconcileOutcome } from '../reconcile.ts';
import type { LifecycleApig, LifecycleInput } from './content-step.ts';
import { attachedByUsAfter, planDomains, type DomainChange } from './domains.ts';

const REFUSAL_TEXT = {
  domainNotFound: 'the domain is not bound to an API group (on those instances)',
  instanceMismatch: 'the domain is bound on another instance than spec.domains[].instanceIds names',
  domainHasOtherCertificate: 'the domain already has another certificate attached',
} as const;

export interface DomainStepInput {
  input: LifecycleInput;
  outcome: ReconcileOutcome;
  target: CertificateTarget;
  /** A GET read the certificate back this pass (a drift check): check the domains too. */
  checked: boolean;
  /** DRY_RUN: the attach/detach calls are described here instead of sent. */
  planned?: string[] | undefined;
}

export async function domainStep(
  { input, outcome, target, checked, planned }: DomainStepInput,
  apig: LifecycleApig,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  const { spec, metadata } = input.resource;
  const before = input.resource.status ?? {};
  const declared = spec.domains ?? [];
  const ours = before.attachedDomains ?? [];
  if (declared.length === 0 && ours.length === 0) {
    const { domains: _none, ...status } = outcome.status;
    return { ...outcome, status };
  }
  const needed =
    checked ||
    outcome.result === 'synced' ||
    before.observedGeneration !== metadata.generation ||
    before.domains === undefined ||
    before.domains.some((domain) => !domain.bound);
  if (!needed) return outcome;

  const plan = planDomains(declared, await apig.listAttachedDomains(target, signal), ours);
  if (planned) {
    for (const change of plan.detach) planned.push(`detach ${describe(change)}`);
    for (const change of plan.attach) planned.push(`attach ${describe(change)}`);
    return { ...outcome, status: { ...outcome.status, domains: plan.status } };
  }
  try {
    if (plan.detach.length > 0) await detach(apig, target, plan.detach, signal);
    if (plan.attach.length > 0) await apig.attachDomains(target, plan.attach, signal);
  } catch (error) {
    if (signal?.aborted || !isApigError(error)) throw error;
    return refused(input, outcome, plan.attach, error);
  }
  const attachedNow = attachedByUsAfter(ours, plan);
  const domains =
    plan.attach.length > 0
      ? planDomains(declared, await apig.listAttachedDomains(target, signal), attachedNow).status
      : plan.status;
  const status: ApigCertificateStatus = {
    ...outcome.status,
    domains,
    ...(attachedNow.length > 0 ? { attachedDomains: attachedNow } : { attachedDomains: undefined }),
  };
  // A domain status showed bound that APIG no longer had: someone detached it.
  const lost = plan.attach.filter((change) =>
    before.domains?.some((domain) => domain.bound && domain.name === change.domain),
  );
  if (lost.length === 0 || outcome.event) return { ...outcome, status };
  return {
    ...outcome,
    status,
    drift: [...(outcome.drift ?? []), 'domain'],
    event: {
      type: 'Warning',
      reason: REASONS.drifted,
      message: `APIG differed from the spec (domain): ${lost.map((c) => c.domain).join(', ')} no longer attached; attached again`,
    },
  };
}

/** A detach APIG answers "none of them attached" has nothing left to do. */
async function detach(
  apig: LifecycleApig,
  target: CertificateTarget,
  changes: DomainChange[],
  signal?: AbortSignal,
): Promise<void> {
  try {
    await apig.detachDomains(target, changes, signal);
  } catch (error) {
    if (apigRefusal(error) !== 'alreadyDetached') throw error;
  }
}

function refused(
  input: LifecycleInput,
  outcome: ReconcileOutcome,
  attach: DomainChange[],
  error: ApigError,
): ReconcileOutcome {
  const refusal = apigRefusal(error);
  const why =
    refusal && refusal in REFUSAL_TEXT
      ? REFUSAL_TEXT[refusal as keyof typeof REFUSAL_TEXT]
      : error.message;
  const names = attach.map((change) => change.domain).join(', ') || 'the domains';
  const message = `APIG refused to attach or detach ${names}: ${why} (APIG ${error.errorCode ?? error.kind})`;
  const base: LifecycleInput = {
    ...input,
    resource: { ...input.resource, status: outcome.status },
  };
  const status: ApigCertificateStatus = {
    ...ready(base, false, REASONS.domainRefused, message),
    lastError: { ...lastErrorOf(error, input.now), message },
  };
  const event = { type: 'Warning' as const, reason: REASONS.domainRefused, message };
  // Retryable failures back off in the queue; a refusal waits for a change or the resync.
  return error.retryable
    ? { ...outcome, result: 'apig_error', status, event, error }
    : { ...outcome, result: 'refused', status, event };
}

function describe(change: DomainChange): string {
  return change.instanceIds
    ? `${change.domain} on ${change.instanceIds.join(', ')}`
    : change.domain;
}
