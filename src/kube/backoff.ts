export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Upper bound for any delay, jitter included. */
  maxMs: number;
  /** Growth per consecutive failure; default 2. */
  factor?: number;
  /**
   * Fraction (0..1) of the delay that is randomised downwards, so replicas and
   * keys that failed together do not retry together. Default 0.2.
   */
  jitter?: number;
}

/**
 * Delay before retry number `failures` (1 = first failure):
 * `min(max, base * factor^(failures-1))`, then reduced by up to `jitter` of
 * itself. Jitter only ever shortens the delay so `maxMs` stays a hard bound.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const factor = policy.factor ?? 2;
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0.2));
  // Exponent capped so huge failure counts cannot overflow to Infinity/NaN.
  const exponent = Math.min(failures - 1, 64);
  const raw = Math.min(policy.maxMs, policy.baseMs * factor ** exponent);
  return Math.round(raw * (1 - jitter * random()));
}

/** Adds up to `fraction` of `ms` on top, for periodic timers (relist, resync). */
export function withJitter(
  ms: number,
  fraction: number,
  random: () => number = Math.random,
): number {
  return Math.round(ms * (1 + fraction * random()));
}
