// Reconcile: from (ApigCertificate, its Secrets, APIG) to the status APIG's
// answer implies. Kubernetes I/O stays outside: the caller reads the Secrets,
// passes plain values in, and writes the returned status and event.
import type {
  ApigCertificate,
  ApigService,
  CertificateBody,
  CertificateTarget,
} from '../apig/index.ts';
import { isApigError, type ApigError } from '../apig/index.ts';
import { validateTlsInputs, type SecretInput, type ValidatedCertificate } from '../certs/index.ts';
import type { ApigCertificateResource, ApigCertificateStatus } from '../api/v1alpha1.ts';
import { REASONS } from './conditions.ts';
import { certificateBody, contentDigest } from './content.ts';
import { apigFailure, invalid, ready, synced, syncedMessage } from './outcome.ts';

export { UNAUTHORIZED_RETRY_MS } from './outcome.ts';

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
  /** The content arrived by a create (POST): status.created. */
  created?: boolean;
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
  /** What a read-back found different from the Secret (and corrected): the drift counter. */
  drift?: readonly string[];
}

/** Inputs that passed every check: what APIG would be sent. */
export interface CheckedInputs {
  projectId: string;
  validated: ValidatedCertificate;
  body: CertificateBody;
}

/**
 * Reconcile of a resource whose certificate ID is known (the spec's, or the
 * one status recorded): check, then send the content if APIG lacks it.
 * `signal` is the work item's (lost leadership, shutdown): once it aborts no
 * PUT is sent, and a call it cut short rejects instead of becoming a status.
 */
export async function reconcile(
  input: ReconcileInput,
  apig: ApigUpdater,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  const checked = checkInputs(input);
  if ('result' in checked) return checked;
  const certificateId = input.resource.spec.certificateId ?? input.resource.status?.certificateId;
  if (certificateId === undefined) {
    throw new TypeError(
      `${input.resource.metadata.namespace}/${input.resource.metadata.name}: reconcile needs spec.certificateId or one found by name (lifecycle/run.ts)`,
    );
  }
  return syncContent(input, checked, certificateId, apig, signal);
}

/** Everything checked before any call; an `invalid` outcome names what is wrong. */
export function checkInputs(input: ReconcileInput): CheckedInputs | ReconcileOutcome {
  const { resource, now } = input;
  const { spec } = resource;

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

  return {
    projectId,
    validated: validation.value,
    body: certificateBody(resource, validation.value),
  };
}

/** The digest of `checked` sent to `certificateId` (what status.syncedHash records). */
export function digestFor(
  input: ReconcileInput,
  checked: CheckedInputs,
  certificateId: string,
): string {
  const target: CertificateTarget = { certificateId, projectId: checked.projectId };
  return contentDigest(input.apig, target, checked.body);
}

/**
 * Sends the checked content to `certificateId` unless status, the ledger or
 * an earlier refusal says it need not be; status.certificateId is set.
 */
export async function syncContent(
  known: ReconcileInput,
  checked: CheckedInputs,
  certificateId: string,
  apig: ApigUpdater,
  signal?: AbortSignal,
): Promise<ReconcileOutcome> {
  // Every outcome is built on the read status: with the ID in it, each records it.
  const input: ReconcileInput = {
    ...known,
    resource: { ...known.resource, status: { ...known.resource.status, certificateId } },
  };
  const { resource, now } = input;
  const { spec } = resource;
  const generation = resource.metadata.generation;
  const target: CertificateTarget = { certificateId, projectId: checked.projectId };
  const { body } = checked;
  const digest = contentDigest(input.apig, target, body);
  const status = resource.status ?? {};
  const untilExpiry = checked.validated.leaf.notAfter.getTime() - now.getTime();

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
