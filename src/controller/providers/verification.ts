// What a credential check proved, as a Ready condition and the time of the
// next check. Pure: the registry runs the check and hands its result in.
import { isApigError } from '../../apig/index.ts';
import { isKubeApiError } from '../../kube/kube-client.ts';
import { PROVIDER_REASONS } from './reasons.ts';
import type { ProviderProblem } from './settings.ts';

/** A provider is checked again this often, and never sooner after refused credentials. */
export const PROVIDER_RECHECK_MS = 10 * 60_000;
/** After an answer that proves nothing (no answer, throttled, 5xx): try again soon, not at once. */
export const PROVIDER_RETRY_MS = 60_000;

export interface Readiness {
  ready: boolean;
  reason: string;
  message: string;
}

export interface Verification {
  readiness: Readiness;
  recheckAfterMs: number;
}

/** `error` is what the check threw, undefined when it passed. */
export function verification(error: unknown, warnings: readonly string[]): Verification {
  const note = warnings.length > 0 ? ` (${warnings.join('; ')})` : '';
  if (error === undefined) {
    return {
      readiness: {
        ready: true,
        reason: PROVIDER_REASONS.verified,
        message: `credentials verified${note}`,
      },
      recheckAfterMs: PROVIDER_RECHECK_MS,
    };
  }
  // The keyless auth reports a failed TokenRequest as unauthorized, with the API server's answer as cause.
  if (isKubeApiError(error) || (isApigError(error) && isKubeApiError(error.cause))) {
    return {
      readiness: {
        ready: false,
        reason: PROVIDER_REASONS.serviceAccountTokenFailed,
        message: `${error.message}; the operator needs create on serviceaccounts/token for this ServiceAccount (README "Keyless providers")`,
      },
      recheckAfterMs: PROVIDER_RECHECK_MS,
    };
  }
  if (!isApigError(error)) {
    const message = error instanceof Error ? error.message : 'the check failed';
    return notProven(PROVIDER_REASONS.verificationFailed, message, PROVIDER_RETRY_MS);
  }
  switch (error.kind) {
    case 'unauthorized':
      // A signature or password refused counts towards the AK lock-out (5 in 5 min): wait long.
      return notProven(
        PROVIDER_REASONS.credentialsRefused,
        `${error.message}; next check in ${PROVIDER_RECHECK_MS / 60_000} minutes or when the spec or Secret changes`,
        PROVIDER_RECHECK_MS,
      );
    case 'forbidden':
      // The signature (or token) was accepted; this identity may just not list certificates.
      return {
        readiness: {
          ready: true,
          reason: PROVIDER_REASONS.verified,
          message: `credentials accepted; listing certificates is not permitted (${error.errorCode ?? 'HTTP 403'})${note}`,
        },
        recheckAfterMs: PROVIDER_RECHECK_MS,
      };
    case 'server':
      if (error.httpStatus === undefined) {
        return notProven(PROVIDER_REASONS.endpointUnreachable, error.message, PROVIDER_RETRY_MS);
      }
      return notProven(PROVIDER_REASONS.verificationFailed, error.message, PROVIDER_RETRY_MS);
    case 'throttled':
      return notProven(PROVIDER_REASONS.verificationFailed, error.message, PROVIDER_RETRY_MS);
    default:
      // invalidInput, notFound (e.g. an unknown project), protocol: nothing a retry soon would change.
      return notProven(PROVIDER_REASONS.verificationFailed, error.message, PROVIDER_RECHECK_MS);
  }
}

export function problemReadiness(problem: ProviderProblem): Verification {
  return {
    readiness: { ready: false, reason: problem.reason, message: problem.message },
    recheckAfterMs: PROVIDER_RECHECK_MS,
  };
}

function notProven(reason: string, message: string, recheckAfterMs: number): Verification {
  return { readiness: { ready: false, reason, message }, recheckAfterMs };
}
