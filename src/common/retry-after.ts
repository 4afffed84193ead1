/** No server hint makes us wait longer than this; a bogus header must not park a key for days. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * The `Retry-After` header (RFC 9110 §10.2.3) as milliseconds from `nowMs`:
 * delay-seconds or an HTTP-date, capped at MAX_RETRY_AFTER_MS. Undefined when
 * absent or unreadable, so callers fall back to their own backoff.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '') return undefined;
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  // HTTP-date forms all start with a day name; Date.parse alone takes "1.5" as a date.
  if (!/^[A-Za-z]{3,9},? /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(at - nowMs, 0), MAX_RETRY_AFTER_MS);
}
