/** The client-side limit on APIG calls, shared by every request of one client. */
export interface RateLimit {
  /** Sustained rate; must be > 0. */
  requestsPerSecond: number;
  /** Requests that may go at once after a quiet period; >= 1. */
  burst: number;
}

/**
 * Huawei publishes no limit for the certificate API; its published quotas for
 * other management APIs are 10 requests/s per user and API, and APIG's 429
 * names a per-user policy. Burst 1: a window counter sees a burst as excess.
 * The pacer lowers the rate when APIG throttles (docs/architecture.md §6.6).
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 10, burst: 1 };
