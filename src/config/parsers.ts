// Value parsers for settings: each takes the variable's name so that its
// ConfigError names it.
import { checkBaseUrl } from '../common/url.ts';
import { fail, quote } from './env.ts';

/** 20 days: below Node's timer limit (2^31-1 ms; longer timers fire at once). */
const MAX_DURATION_MS = 480 * 3_600_000;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Line breaks and other control characters. */
export const CONTROL_CHARACTER = /\p{Cc}/u;

const DURATION_UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Go-style duration (`10h`, `30m`, `1h30m`, `1.5s`, `250ms`, `0`) in
 * milliseconds, rounded; undefined when the text is not one. No sign: none
 * of our durations may be negative.
 */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  // µ and μ escaped: the bundle stays ASCII (build.ts says why).
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;
  let totalMs = 0;
  let index = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) return undefined;
    totalMs += Number(match[1]) * (DURATION_UNIT_MS[match[2] ?? ''] ?? Number.NaN);
    index = part.lastIndex;
  }
  return index > 0 && Number.isFinite(totalMs) ? Math.round(totalMs) : undefined;
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

export function parseUrl(variable: string, raw: string, warnings: string[]): string {
  const checked = checkBaseUrl(raw);
  if (!checked.ok) {
    switch (checked.problem.reason) {
      case 'notAbsolute':
        // The value is not echoed: a malformed URL may still carry credentials.
        return fail(variable, 'is not an absolute URL (e.g. https://host)');
      case 'notHttp':
        return fail(variable, `must be an https:// URL, got ${checked.problem.protocol}//`);
      case 'credentials':
        return fail(variable, 'must not contain a user name or password');
      case 'queryOrFragment':
        return fail(variable, 'must not contain a query or fragment');
    }
  }
  if (checked.plainHttp) {
    warnings.push(
      `${variable} uses plain http: credentials and private keys travel unencrypted (acceptable only for a local simulator)`,
    );
  }
  return checked.base;
}

export function parseInteger(variable: string, raw: string, min: number, max: number): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max)) {
    fail(variable, `${quote(raw)} is not an integer from ${min} to ${max}`);
  }
  return value;
}

export function parsePositiveNumber(variable: string, raw: string, max: number): number {
  const value = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(value > 0 && value <= max)) {
    fail(variable, `${quote(raw)} is not a number greater than 0 and at most ${max}`);
  }
  return value;
}

export function parseBoolean(variable: string, raw: string): boolean {
  const value = raw.toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fail(variable, `${quote(raw)} is not true or false`);
}

/** `allowZero`: 0 (any unit) is accepted below `minMs`, for settings where it means "off". */
export function parseDurationSetting(
  variable: string,
  raw: string,
  minMs: number,
  { allowZero = false }: { allowZero?: boolean } = {},
): number {
  const ms = parseDuration(raw);
  if (ms === undefined) {
    fail(variable, `${quote(raw)} is not a duration; use a number and a unit, e.g. 10h, 30m, 90s`);
  }
  if (allowZero && ms === 0) return 0;
  if (ms < minMs || ms > MAX_DURATION_MS) {
    fail(variable, `${quote(raw)} must be from ${formatMs(minMs)} to ${formatMs(MAX_DURATION_MS)}`);
  }
  return ms;
}

export function parseNamespace(variable: string, raw: string): string {
  if (!DNS_LABEL.test(raw)) {
    fail(
      variable,
      `${quote(raw)} is not a namespace name (lowercase letters, digits and '-', at most 63)`,
    );
  }
  return raw;
}
