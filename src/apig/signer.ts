// Huawei Cloud AK/SK request signing ("SDK-HMAC-SHA256"), as the official SDKs
// do it: HMAC-SHA256 over method, URI with a trailing slash, sorted query,
// signed headers and the body's SHA-256 (APIG facts in docs/architecture.md).
// Pure functions: the clock is a parameter, nothing is read from the environment.
import { createHash, createHmac } from 'node:crypto';

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const SDK_DATE_HEADER = 'X-Sdk-Date';
export const SECURITY_TOKEN_HEADER = 'X-Security-Token';

export interface AkSkCredentials {
  accessKey: string;
  secretKey: string;
  /** Present for temporary credentials. */
  securityToken?: string;
}

export interface SignableRequest {
  method: string;
  /** The URL the request goes to; path and query are signed from it. */
  url: URL;
  /** Headers to sign, exactly as they will be sent (names in any case). */
  headers: Readonly<Record<string, string>>;
  /** The exact bytes of the body (a string is taken as UTF-8); '' when none. */
  body: string | Uint8Array;
}

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatSdkDate(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** RFC 3986 encoding of UTF-8 bytes: only `A-Za-z0-9-_.~` stay as they are. */
export function rfc3986Encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A stray '%' that is not an escape stands for itself.
    return segment;
  }
}

/**
 * Each segment of the (possibly already percent-encoded) path decoded, then
 * RFC 3986-encoded, and the result always ends with '/' even when the request
 * path does not.
 */
export function canonicalUri(pathname: string): string {
  const uri = pathname
    .split('/')
    .map((segment) => rfc3986Encode(decodeSegment(segment)))
    .join('/');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

/** Byte order of the UTF-8 encodings, as Go's sort.Strings in the official Go SDK. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Keys sorted, each key's values sorted, keys and values encoded, `k=` for an
 * empty value, pairs joined with '&'. The client sends exactly this string as
 * its query so that what is signed is what goes on the wire.
 */
export function canonicalQuery(params: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of params) {
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const pairs: string[] = [];
  for (const key of [...byKey.keys()].sort(compareUtf8)) {
    const values = (byKey.get(key) ?? []).sort(compareUtf8);
    for (const value of values) pairs.push(`${rfc3986Encode(key)}=${rfc3986Encode(value)}`);
  }
  return pairs.join('&');
}

function headerValuesByLowercaseName(
  headers: Readonly<Record<string, string>>,
): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    const values = byName.get(lower);
    if (values) values.push(value);
    else byName.set(lower, [value]);
  }
  return byName;
}

/** The signed header names: lowercase, sorted, de-duplicated. */
export function signedHeaderNames(headers: Readonly<Record<string, string>>): string[] {
  return [...headerValuesByLowercaseName(headers).keys()].sort(compareUtf8);
}

/** `name:trimmed-value\n` for each signed header, names sorted. */
export function canonicalHeaders(headers: Readonly<Record<string, string>>): string {
  const byName = headerValuesByLowercaseName(headers);
  let block = '';
  for (const name of signedHeaderNames(headers)) {
    for (const value of (byName.get(name) ?? []).sort(compareUtf8)) {
      block += `${name}:${value.trim()}\n`;
    }
  }
  return block;
}

/** Lowercase hex SHA-256 of the exact body bytes. */
export function hashPayload(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalRequest(request: SignableRequest): string {
  return [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    canonicalHeaders(request.headers),
    signedHeaderNames(request.headers).join(';'),
    hashPayload(request.body),
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${hashPayload(canonical)}`;
}

/** Hex HMAC-SHA256 of the string to sign, keyed with the SK itself (no derived keys). */
export function signature(toSign: string, secretKey: string): string {
  return createHmac('sha256', Buffer.from(secretKey, 'utf8')).update(toSign).digest('hex');
}

/** Headers this module sets itself; a caller's copy of them is never signed. */
const SIGNER_HEADERS = new Set(['authorization', 'x-sdk-date', 'x-security-token']);

/**
 * The headers to add to a request so that APIG accepts it: `X-Sdk-Date`,
 * `X-Security-Token` for temporary keys (signed too), and `Authorization`.
 * Every other header of `request.headers` is signed, so pass exactly the
 * headers that will be sent (at least host and content-type).
 */
export function signRequest(
  request: SignableRequest,
  credentials: AkSkCredentials,
  now: Date,
): Record<string, string> {
  const sdkDate = formatSdkDate(now);
  const added: Record<string, string> = { [SDK_DATE_HEADER]: sdkDate };
  if (credentials.securityToken) added[SECURITY_TOKEN_HEADER] = credentials.securityToken;
  const callerHeaders = Object.entries(request.headers).filter(
    ([name]) => !SIGNER_HEADERS.has(name.toLowerCase()),
  );
  const headers = { ...Object.fromEntries(callerHeaders), ...added };
  const toSign = stringToSign(sdkDate, canonicalRequest({ ...request, headers }));
  added.Authorization =
    `${SIGNING_ALGORITHM} Access=${credentials.accessKey}, ` +
    `SignedHeaders=${signedHeaderNames(headers).join(';')}, ` +
    `Signature=${signature(toSign, credentials.secretKey)}`;
  return added;
}
