// Server-side SDK-HMAC-SHA256 (Huawei "APIG signing") canonicalisation and
// verification, written from Huawei's published algorithm independently of src/apig so it
// can serve as the oracle for the client's signer.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Request parts as received on the wire. */
export interface SignedRequestParts {
  method: string;
  /** Path as sent (percent-encoded), without the query. */
  rawPath: string;
  /** Query string as sent, without '?'. */
  rawQuery: string;
  /** Header values by lower-case name, as node:http presents them. */
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export interface AuthorizationParts {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

/** RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Each segment decoded then re-encoded; always ends with '/'. Throws on malformed escapes. */
export function canonicalUri(rawPath: string): string {
  const encoded = rawPath
    .split('/')
    .map((segment) => rfc3986Encode(decodeURIComponent(segment)))
    .join('/');
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** Keys sorted (then values), keys and values encoded, `k=` for empty values, joined with '&'. */
export function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return [
        rfc3986Encode(decodeURIComponent(key)),
        rfc3986Encode(decodeURIComponent(value)),
      ] as const;
    });
  pairs.sort(([ka, va], [kb, vb]) => (ka === kb ? compare(va, vb) : compare(ka, kb)));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function headerValue(headers: SignedRequestParts['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * `name:trimmed-value\n` for each signed header, in the order the client listed
 * them (a conforming client lists them sorted). Undefined when one is missing.
 */
export function canonicalHeaders(
  headers: SignedRequestParts['headers'],
  signedHeaders: string[],
): string | undefined {
  let out = '';
  for (const name of signedHeaders) {
    const value = headerValue(headers, name);
    if (value === undefined) return undefined;
    out += `${name}:${value.trim()}\n`;
  }
  return out;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical request, or undefined when a signed header is missing or the path is malformed. */
export function canonicalRequest(
  parts: SignedRequestParts,
  signedHeaders: string[],
): string | undefined {
  const headers = canonicalHeaders(parts.headers, signedHeaders);
  if (headers === undefined) return undefined;
  try {
    return [
      parts.method.toUpperCase(),
      canonicalUri(parts.rawPath),
      canonicalQuery(parts.rawQuery),
      headers,
      signedHeaders.join(';'),
      sha256Hex(parts.body),
    ].join('\n');
  } catch {
    return undefined; // decodeURIComponent on a malformed escape
  }
}

export function stringToSign(canonical: string, sdkDate: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`;
}

export function signatureOf(secretKey: string, toSign: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign).digest('hex');
}

/** `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`, or undefined when malformed. */
export function parseAuthorization(value: string): AuthorizationParts | undefined {
  const match =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      value.trim(),
    );
  if (!match) return undefined;
  const [, accessKey, signedHeaders, signature] = match;
  return { accessKey: accessKey!, signedHeaders: signedHeaders!.split(';'), signature: signature! };
}

/** `YYYYMMDDTHHMMSSZ` (UTC), or undefined when not exactly that. */
export function parseSdkDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const [y, mo, d, h, mi, s] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
  // Date.UTC rolls 20191332T... over to another day: such a value is not a date.
  return formatSdkDate(date) === value ? date : undefined;
}

export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Constant-time comparison of two hex signatures. */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
