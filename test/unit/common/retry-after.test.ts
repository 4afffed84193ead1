import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../src/common/retry-after.ts';

describe('parseRetryAfter', () => {
  const nowMs = Date.parse('2026-03-01T12:00:00Z');

  it.each([
    // delay-seconds
    ['7', 7_000],
    ['0', 0],
    [' 12 ', 12_000],
    ['999999', MAX_RETRY_AFTER_MS],
    // HTTP-date: the time left, never negative
    ['Sun, 01 Mar 2026 12:00:30 GMT', 30_000],
    ['Sun, 01 Mar 2026 11:00:00 GMT', 0],
    ['Sun, 08 Mar 2026 12:00:00 GMT', MAX_RETRY_AFTER_MS],
    // absent or unreadable: the caller falls back to its own backoff
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['-3', undefined],
    ['1.5', undefined],
    ['tomorrow', undefined],
    ['soon', undefined],
  ])('%j -> %p ms', (value, expected) => {
    expect(parseRetryAfter(value, nowMs)).toBe(expected);
  });

  // The Kubernetes client's rows, where they agree with the one parser (it read
  // "1.5" as 1.5 s and had no cap; both are now as above).
  it.each([
    [null, undefined],
    ['', undefined],
    ['5', 5_000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
  ])('from 2026-01-01: %j -> %p ms', (value, expected) => {
    expect(parseRetryAfter(value, Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(expected);
  });
});
