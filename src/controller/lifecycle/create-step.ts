// The create: a resource whose name no certificate of its scope has. The
// intent (status.pendingCreate) is written, and the write confirmed, before
// the POST is sent, so that a pass after a crash between the POST and its
// status write knows the certificate it then finds by name as its own
// (adopt.ts). DRY_RUN writes neither.
import { isApigError, type ApigCertificate } from '../../apig/index.ts';
import type {
  ApigCertificateResource,
  ApigCertificateStatus,
  PendingCreate,
} from '../../api/v1alpha1.ts';
import { apigFailure, synced } from '../outcome.ts';
import { digestFor, type CheckedInputs, type ReconcileInput } from '../reconcile.ts';
import { withoutPendingCreate } from './adopt.ts';
import type { ContentStep, LifecycleApig, LifecycleInput } from './content-step.ts';

/**
 * Writes `status` (with status.pendingCreate) before a create is sent and
 * returns the resource as written, for the pass's last status write to build
 * on. Rejects when the write did not happen: the POST is then not sent.
 */
export type RecordIntent = (status: ApigCertificateStatus) => Promise<ApigCertificateResource>;

/** What the lifecycle calls: APIG, and the one status write a create needs first. */
export interface LifecycleIo {
  apig: LifecycleApig;
  recordIntent: RecordIntent;
}

export async function createStep(
  input: LifecycleInput,
  checked: CheckedInputs,
  intent: PendingCreate,
  io: LifecycleIo,
  signal?: AbortSignal,
): Promise<ContentStep> {
  const { name: _name, ...scope } = intent;
  signal?.throwIfAborted();
  const recorded: LifecycleInput = input.dryRun
    ? input
    : {
        ...input,
        resource: await io.recordIntent({ ...input.resource.status, pendingCreate: intent }),
      };
  signal?.throwIfAborted();
  let answer: ApigCertificate;
  try {
    answer = await io.apig.createCertificate(scope, checked.body, signal);
  } catch (error) {
    if (signal?.aborted || !isApigError(error)) throw error;
    // Applied or not is unknown: the create stays pending for a later pass
    // to find by name. Not applied: nothing of ours is pending any more.
    const status = error.outcomeUnknown
      ? recorded.resource.status
      : withoutPendingCreate(recorded.resource.status);
    const failed = { ...recorded, resource: { ...recorded.resource, status } };
    return { outcome: apigFailure(failed, error, digestFor(failed, checked, '')), checked: false };
  }
  const digest = digestFor(recorded, checked, answer.id);
  const accepted = { digest, answer, at: input.now, created: true };
  return {
    outcome: synced(recorded, accepted, untilExpiry(input, checked), 'created'),
    certificateId: answer.id,
    checked: false,
  };
}

export function untilExpiry(input: ReconcileInput, checked: CheckedInputs): number {
  return checked.validated.leaf.notAfter.getTime() - input.now.getTime();
}
