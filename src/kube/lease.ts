// The Lease rule of leader election, pure so it is tested without a clock:
// who may take or renew a lease, and what to write when doing so.

/** `coordination.k8s.io/v1` LeaseSpec. Times are MicroTime strings. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** MicroTime as the API server parses it: six fractional digits. */
export function toMicroTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

export interface LeaseDecisionInput {
  /** The lease as read; undefined when it does not exist. */
  current: LeaseSpec | undefined;
  /** Local time at which `current` was first seen in its present version. */
  observedAtMs: number;
  nowMs: number;
  identity: string;
  /** Ours: written into the lease we take; used for another holder's lease only if it has none. */
  leaseDurationMs: number;
}

export type LeaseDecision = { acquire: true; spec: LeaseSpec } | { acquire: false; holder: string };

/**
 * client-go's rule. Another holder's lease counts as valid until the
 * `leaseDurationSeconds` it states have passed since we first saw its current
 * version, measured on our own clock (never by comparing with the holder's
 * clock): the holder decides how long it may be silent. An empty holder means
 * the lease was released and can be taken at once.
 */
export function decideLease(input: LeaseDecisionInput): LeaseDecision {
  const { current, identity, nowMs } = input;
  const holder = current?.holderIdentity ?? '';
  if (holder !== '' && holder !== identity && input.observedAtMs + heldForMs(input) > nowMs) {
    return { acquire: false, holder };
  }
  const now = toMicroTime(nowMs);
  const renewing = holder === identity;
  const transitions = current?.leaseTransitions ?? 0;
  return {
    acquire: true,
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(input.leaseDurationMs / 1000)),
      acquireTime: renewing ? (current?.acquireTime ?? now) : now,
      renewTime: now,
      leaseTransitions: current === undefined ? 0 : renewing ? transitions : transitions + 1,
    },
  };
}

/**
 * How long the observed record says it stays valid. client-go reads a missing
 * duration as 0; we wait our own duration instead, so a lease written by a
 * tool that omits it is not taken over at once.
 */
function heldForMs({ current, leaseDurationMs }: LeaseDecisionInput): number {
  const seconds = current?.leaseDurationSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : leaseDurationMs;
}
