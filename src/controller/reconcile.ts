// Reconcile: from (ApigCertificate, its Secrets, APIG) to the status APIG's
// answer implies. Kubernetes I/O stays outside: the caller reads the Secrets,
// passes plain values in, and writes the returned status and event.
import type {
  ApigCertificate,
  ApigService,
  CertificateBody,
  CertificateTarget,
} from '../apig/index.ts';
import { isApigError, type ApigError, type ApigThrottledError } from '../apig/index.ts';
import { validateTlsInputs, type SecretInput } from '../certs/index.ts';
import type { ApigCertificateResource, ApigCertificateStatus, LastError } from '../api/v1alpha1.ts';
import { READY, REASONS, setCondition } from './conditions.ts';
import { certificateBody, contentDigest } from './content.ts';

/** A referenced object: found, absent, or present without the key the spec names. */
export type Lookup<T> = { found: true; value: T } | { found: false; what: string };

export interface ReconcileInput {
  resource: ApigCertificateResource;
  secret: Lookup<SecretInput>;
  /** Present when the spec names signSecretRef. */
  signSecret?: Lookup<SecretInput> | undefined;
  /** PEM text of spec.trustedRootCA, present when the spec names one. */
  trustedRootCA?: Lookup<string> | undefined;
  apig: { endpoint: string; service: ApigService; defaultProjectId?: string | undefined };
  /** No APIG to send to (the provider is missing or not ready, no default): Ready=False, no call. */
  unavailable?: { reason: string; message: string } | undefined;
  now: Date;
  /** A permanent APIG refusal older than this is tried once more (the resync period). */
  retryRefusedAfterMs: number;
  /**
   * What APIG accepted on an earlier pass whose status write failed (the API
   * server was down): if the content is still the same it is recorded, not sent again.
   */
  acceptedEarlier?: AcceptedContent | undefined;
}

/** A content APIG accepted, with its answer: what a status write records. */
export interface AcceptedContent {
  digest: string;
  answer: ApigCertificate;
  at: Date;
}

/** The one APIG call reconcile needs; not sent once `signal` has aborted. */
export interface ApigUpdater {
  updateCertificate(
    target: CertificateTarget,
    body: CertificateBody,
    signal?: AbortSignal,
  ): Promise<ApigCertificate>;
}

/**
 * How a reconcile ended: `synced` (PUT accepted), `unchanged` (nothing to
 * send), `suspended`, `invalid` (input refused before any call), `refused`
 * (APIG already rejected this exact content; not sent again), `apig_error`
 * (the call failed).
 */
export type ReconcileResult =
  'synced' | 'unchanged' | 'suspended' | 'invalid' | 'refused' | 'apig_error';

export interface ReconcileEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface ReconcileOutcome {
  result: ReconcileResult;
  status: ApigCertificateStatus;
  event?: ReconcileEvent;
  /** Run again after this long (throttling, a certificate not yet valid, an expiry). */
  requeueAfterMs?: number;
  /** A retryable failure: the queue backs off per key. */
  error?: ApigError;
  /** Set when APIG accepted the content: keep it until the status is written. */
  accepted?: AcceptedContent;
}

/** After a 401 that survived one credential refresh: wait long, never hot-loop (AK lock-out). */
export const UNAUTHORIZED_RETRY_MS = 5 * 60_000;

/**
 * `signal` is the work item's (lost leadership, shutdown): once it aborts no
 * PUT is sent, and a call it cut short rejects instead of becoming a status.
 */
export async function reconcile(
  input: ReconcileInput,
  apig: ApigUpdater,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  const { resource, now } = input;
  const { spec } = resource;
  const generation = resource.metadata.generation;

  if (input.unavailable) return invalid(input, input.unavailable.reason, input.unavailable.message);
  const projectId = spec.projectId ?? input.apig.defaultProjectId;
  if (!projectId) {
    return invalid(
      input,
      REASONS.projectIdMissing,
      'spec.projectId is not set and the operator has no default project (HUAWEICLOUD_SDK_PROJECT_ID)',
    );
  }
  const { secret } = input;
  if (!secret.found) {
    return invalid(input, REASONS.secretNotFound, `spec.secretRef: ${secret.what}`);
  }
  const missing = firstMissingReference(input);
  if (missing) return invalid(input, missing.reason, missing.message);

  const validation = validateTlsInputs({
    secret: secret.value,
    signSecret: input.signSecret?.found ? input.signSecret.value : undefined,
    trustedRootCA: input.trustedRootCA?.found ? input.trustedRootCA.value : undefined,
    algorithmType: spec.algorithmType,
    now,
  });
  if (!validation.ok) {
    const { error } = validation;
    const outcome = invalid(input, error.reason, error.message);
    return error.retryAt
      ? { ...outcome, requeueAfterMs: error.retryAt.getTime() - now.getTime() }
      : outcome;
  }

  const target: CertificateTarget = { certificateId: spec.certificateId, projectId };
  const body = certificateBody(resource, validation.value);
  const digest = contentDigest(input.apig, target, body);
  const status = resource.status ?? {};
  const untilExpiry = validation.value.leaf.notAfter.getTime() - now.getTime();

  if (spec.suspend) {
    const inSync = status.syncedHash === digest;
    return {
      result: 'suspended',
      status: ready(
        input,
        inSync,
        REASONS.suspended,
        inSync
          ? "spec.suspend is true; APIG holds the Secret's current certificate"
          : "spec.suspend is true; the Secret's current certificate has not been sent to APIG",
      ),
    };
  }

  if (status.syncedHash === digest) {
    return {
      result: 'unchanged',
      status: ready(
        input,
        true,
        REASONS.synced,
        syncedMessage(status.serialNumber, status.notAfter),
      ),
      requeueAfterMs: untilExpiry,
    };
  }

  if (input.acceptedEarlier?.digest === digest) {
    return synced(input, input.acceptedEarlier, untilExpiry);
  }

  const refusedAt = status.lastError ? Date.parse(status.lastError.time) : NaN;
  if (
    status.failedHash === digest &&
    status.observedGeneration === generation &&
    now.getTime() - refusedAt < input.retryRefusedAfterMs
  ) {
    // APIG refused exactly this content for this spec; sending it again cannot help.
    return { result: 'refused', status: { ...status, observedGeneration: generation } };
  }

  signal?.throwIfAborted();
  let answer: ApigCertificate;
  try {
    answer = await apig.updateCertificate(target, body, signal);
  } catch (error) {
    if (signal?.aborted || !isApigError(error)) throw error;
    return apigFailure(input, error, digest);
  }
  return synced(input, { digest, answer, at: now }, untilExpiry);
}

function synced(
  input: ReconcileInput,
  accepted: AcceptedContent,
  untilExpiry: number,
): ReconcileOutcome {
  const { answer } = accepted;
  return {
    result: 'synced',
    status: syncedStatus(input, accepted),
    event: {
      type: 'Normal',
      reason: REASONS.synced,
      message: `APIG certificate ${input.resource.spec.certificateId} updated: ${syncedMessage(answer.serialNumber, answer.notAfter)}`,
    },
    requeueAfterMs: untilExpiry,
    accepted,
  };
}

/** The signing Secret or trusted root CA the spec names, when it is missing. */
function firstMissingReference(
  input: ReconcileInput,
): { reason: string; message: string } | undefined {
  if (input.signSecret && !input.signSecret.found) {
    return {
      reason: REASONS.signSecretNotFound,
      message: `spec.signSecretRef: ${input.signSecret.what}`,
    };
  }
  if (input.trustedRootCA && !input.trustedRootCA.found) {
    return {
      reason: REASONS.trustedRootCANotFound,
      message: `spec.trustedRootCA: ${input.trustedRootCA.what}`,
    };
  }
  return undefined;
}

function syncedMessage(serial: string | undefined, notAfter: string | undefined): string {
  return `serial ${serial ?? 'unknown'}, not after ${notAfter ?? 'unknown'}`;
}

/**
 * The Ready condition on top of the current status. A refusal's failedHash
 * survives only the skip that reads it (and the refusal itself, which sets
 * it again): after any other outcome it would describe an older state, and
 * a later skip would leave that state's condition in place. Ready=True means
 * APIG holds the Secret's content, so no earlier failure is current.
 */
function ready(
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

function invalid(input: ReconcileInput, reason: string, message: string): ReconcileOutcome {
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

function syncedStatus(input: ReconcileInput, accepted: AcceptedContent): ApigCertificateStatus {
  const { answer, digest, at } = accepted;
  return {
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
  };
}

function apigFailure(input: ReconcileInput, error: ApigError, digest: string): ReconcileOutcome {
  const reason = REASONS.apig[error.kind];
  const lastError: LastError = {
    code: error.errorCode ?? reason,
    message: error.message,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    time: input.now.toISOString(),
  };
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
