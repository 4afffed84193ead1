// The outcomes reconcile and the lifecycle steps return: the Ready condition,
// lastError and failedHash rules, and the status a sync records. Pure.
import type { ApigError, ApigThrottledError } from '../apig/index.ts';
import type { ApigCertificateResource, ApigCertificateStatus, LastError } from '../api/v1alpha1.ts';
import { READY, REASONS, setCondition } from './conditions.ts';
import type {
  AcceptedContent,
  ReconcileEvent,
  ReconcileInput,
  ReconcileOutcome,
} from './reconcile.ts';

/** After a 401 that survived one credential refresh: wait long, never hot-loop (AK lock-out). */
export const UNAUTHORIZED_RETRY_MS = 5 * 60_000;

/** APIG holds `accepted` (sent now, or by an earlier pass whose status write failed). */
export function synced(
  input: ReconcileInput,
  accepted: AcceptedContent,
  untilExpiry: number,
  verb = 'updated',
): ReconcileOutcome {
  const { answer } = accepted;
  return {
    result: 'synced',
    status: syncedStatus(input, accepted),
    event: {
      type: 'Normal',
      reason: REASONS.synced,
      message: `APIG certificate ${answer.id} ${verb}: ${syncedMessage(answer.serialNumber, answer.notAfter)}`,
    },
    requeueAfterMs: untilExpiry,
    accepted,
  };
}

export function syncedMessage(serial: string | undefined, notAfter: string | undefined): string {
  return `serial ${serial ?? 'unknown'}, not after ${notAfter ?? 'unknown'}`;
}

/**
 * The Ready condition on top of the current status. A refusal's failedHash
 * survives only the skip that reads it (and the refusal itself, which sets
 * it again): after any other outcome it would describe an older state, and
 * a later skip would leave that state's condition in place. Ready=True means
 * APIG holds the Secret's content, so no earlier failure is current.
 */
export function ready(
  input: ReconcileInput,
  isReady: boolean,
  reason: string,
  message: string,
): ApigCertificateStatus {
  const generation = input.resource.metadata.generation;
  const { failedHash: _stale, lastError, ...status } = input.resource.status ?? {};
  return {
    ...status,
    ...(isReady || lastError === undefined ? {} : { lastError }),
    observedGeneration: generation,
    conditions: setCondition(
      status.conditions,
      {
        type: READY,
        status: isReady ? 'True' : 'False',
        reason,
        message,
        observedGeneration: generation,
      },
      input.now,
    ),
  };
}

export function invalid(input: ReconcileInput, reason: string, message: string): ReconcileOutcome {
  const previous = input.resource.status?.lastError;
  // Keep the time of an unchanged failure so status does not change on every pass.
  const time =
    previous?.code === reason && previous.message === message
      ? previous.time
      : input.now.toISOString();
  const status: ApigCertificateStatus = {
    ...ready(input, false, reason, message),
    lastError: { code: reason, message, time },
  };
  return { result: 'invalid', status, event: { type: 'Warning', reason, message } };
}

export function syncedStatus(
  input: ReconcileInput,
  accepted: AcceptedContent,
): ApigCertificateStatus {
  const { answer, digest, at } = accepted;
  return {
    ...(accepted.created ? { created: true } : {}),
    ...ready(input, true, REASONS.synced, syncedMessage(answer.serialNumber, answer.notAfter)),
    notAfter: answer.notAfter,
    notBefore: answer.notBefore,
    serialNumber: answer.serialNumber,
    commonName: answer.commonName,
    san: answer.san,
    issuer: answer.issuer,
    signatureAlgorithm: answer.signatureAlgorithm,
    algorithmType: answer.algorithmType,
    lastSyncTime: at.toISOString(),
    syncedHash: digest,
    certificateId: answer.id,
  };
}

export function apigFailure(
  input: ReconcileInput,
  error: ApigError,
  digest: string,
): ReconcileOutcome {
  const reason = REASONS.apig[error.kind];
  const lastError = lastErrorOf(error, input.now);
  let message = error.message;
  if (error.kind === 'unauthorized') {
    message = `${message}; credentials were refreshed once and refused again: check them, next attempt in ${UNAUTHORIZED_RETRY_MS / 60_000} minutes`;
  }
  const status: ApigCertificateStatus = { ...ready(input, false, reason, message), lastError };
  const event: ReconcileEvent = { type: 'Warning', reason, message };
  if (error.kind === 'throttled') {
    // The kind names the class: only ApigThrottledError has kind 'throttled'.
    const { retryAfterMs } = error as ApigThrottledError;
    return { result: 'apig_error', status, event, requeueAfterMs: retryAfterMs };
  }
  if (error.kind === 'unauthorized') {
    return { result: 'apig_error', status, event, requeueAfterMs: UNAUTHORIZED_RETRY_MS };
  }
  if (error.retryable) return { result: 'apig_error', status, event, error };
  return { result: 'refused', status: { ...status, failedHash: digest }, event };
}

/**
 * Deletion with the Delete policy, refused by APIG: the resource keeps its
 * finalizer, says why, and the queue retries with backoff.
 */
export function cleanupFailed(
  resource: ApigCertificateResource,
  error: ApigError,
  now: Date,
): ReconcileOutcome {
  const message = `cleaning up APIG before deletion failed: ${error.message}; retrying with backoff (annotate apig.certsync.io/skip-cleanup: "true" to delete without touching APIG)`;
  const generation = resource.metadata.generation;
  const status: ApigCertificateStatus = {
    ...resource.status,
    // Deletion bumped the generation: this pass observed it.
    observedGeneration: generation,
    conditions: setCondition(
      resource.status?.conditions,
      {
        type: READY,
        status: 'False',
        reason: REASONS.cleanupFailed,
        message,
        observedGeneration: generation,
      },
      now,
    ),
    lastError: lastErrorOf(error, now),
  };
  return {
    result: 'apig_error',
    status,
    event: { type: 'Warning', reason: REASONS.cleanupFailed, message },
  };
}

export function lastErrorOf(error: ApigError, now: Date): LastError {
  return {
    code: error.errorCode ?? REASONS.apig[error.kind],
    message: error.message,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    time: now.toISOString(),
  };
}
