/** The client-side limit on APIG calls, shared by every request of one client. */
export interface RateLimit {
  /** Sustained rate; must be > 0. */
  requestsPerSecond: number;
  /** Requests that may go at once after a quiet period; >= 1. */
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { requestsPerSecond: 5, burst: 5 };
