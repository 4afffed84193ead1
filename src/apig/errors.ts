// Typed failures of APIG / ROMA Connect (and IAM) calls. Callers branch on
// `kind` and `retryable`, never on the class; each error keeps what
// APIG said (error_code, error_msg, HTTP status, X-Request-Id) for the status.
import { parseRetryAfter } from '../common/retry-after.ts';
import { headerValue, type ResponseHeaders } from '../common/http-request.ts';

/**
 * Every certificate call of the APIG client, the one list: the controller's
 * timed client and its no-route client are built from it, so a new call is
 * added here and on `ApigClient`.
 */
export const CERTIFICATE_OPERATIONS = [
  'updateCertificate',
  'createCertificate',
  'showCertificate',
  'listCertificates',
  'deleteCertificate',
  'attachDomains',
  'detachDomains',
  'listAttachedDomains',
] as const;

export type CertificateOperation = (typeof CERTIFICATE_OPERATIONS)[number];

/** Every call the client makes (the metrics label): the certificate calls and IAM's token. */
export type ApigOperation = CertificateOperation | 'iamToken';

const WRITE_OPERATIONS: ReadonlySet<ApigOperation> = new Set([
  'updateCertificate',
  'createCertificate',
  'deleteCertificate',
  'attachDomains',
  'detachDomains',
]);

/** Operations that change what APIG holds (the others only read). */
export function isWriteOperation(operation: ApigOperation): boolean {
  return WRITE_OPERATIONS.has(operation);
}

export type ApigErrorKind =
  'invalidInput' | 'notFound' | 'forbidden' | 'unauthorized' | 'throttled' | 'server' | 'protocol';

export interface ApigErrorDetails {
  operation: ApigOperation;
  certificateId?: string | undefined;
  httpStatus?: number | undefined;
  /** APIG's `error_code` (IAM's code for `iamToken`; the Node error code for network failures). */
  errorCode?: string | undefined;
  /** APIG's `error_msg`, with any PEM block removed and cut to a sane length. */
  errorMessage?: string | undefined;
  requestId?: string | undefined;
  /** See ApigError.outcomeUnknown; default false. */
  outcomeUnknown?: boolean | undefined;
  cause?: unknown;
}

const MAX_ERROR_MESSAGE_CHARS = 500;
const PEM_BLOCK = /-----BEGIN [^-]+-----[\s\S]*?(?:-----END [^-]+-----|$)/g;

/** Never let a PEM block (a key echoed back by a server or proxy) reach a message. */
export function sanitizeServerText(text: string): string {
  const clean = text.replace(PEM_BLOCK, '[PEM removed]').replace(/\s+/g, ' ').trim();
  return clean.length > MAX_ERROR_MESSAGE_CHARS
    ? `${clean.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
    : clean;
}

function describe(summary: string, d: ApigErrorDetails): string {
  const target = d.certificateId ? ` certificate ${d.certificateId}` : '';
  const parts = [`${d.operation}${target}: ${summary}`];
  const answer = [
    d.httpStatus === undefined ? undefined : `HTTP ${d.httpStatus}`,
    d.errorCode,
    d.errorMessage,
  ].filter((p) => p !== undefined && p !== '');
  if (answer.length > 0) parts.push(answer.join(' '));
  if (d.requestId) parts.push(`request id ${d.requestId}`);
  return parts.join('; ');
}

export abstract class ApigError extends Error {
  abstract readonly kind: ApigErrorKind;
  /** Whether trying again later (with backoff) can succeed without any change. */
  abstract readonly retryable: boolean;
  readonly operation: ApigOperation;
  readonly certificateId: string | undefined;
  readonly httpStatus: number | undefined;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  readonly requestId: string | undefined;
  /**
   * A write whose request may have reached APIG and taken effect: a timeout,
   * reset or 5xx after it was sent, a 2xx answer that could not be read, or
   * an undocumented 1xx/3xx.
   * The caller must read the certificate back (GET) before writing again.
   * Always false for reads, for a refusal (4xx, throttling) and for a
   * request that never left (connection refused, DNS, TLS).
   */
  readonly outcomeUnknown: boolean;

  constructor(summary: string, details: ApigErrorDetails) {
    super(
      describe(summary, details),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.operation = details.operation;
    this.certificateId = details.certificateId;
    this.httpStatus = details.httpStatus;
    this.errorCode = details.errorCode;
    this.errorMessage = details.errorMessage;
    this.requestId = details.requestId;
    this.outcomeUnknown = details.outcomeUnknown ?? false;
  }
}

/** 400 (APIG.2xxx, 3148) and other 4xx: permanent until the input changes. */
export class ApigInvalidInputError extends ApigError {
  override readonly name = 'ApigInvalidInputError';
  readonly kind = 'invalidInput';
  readonly retryable = false;
}

/** 404 APIG.3021/3025 (certificate) or APIG.3030 (instance). */
export class ApigNotFoundError extends ApigError {
  override readonly name = 'ApigNotFoundError';
  readonly kind = 'notFound';
  readonly retryable = false;
}

/** 403: no permission (APIG.1005, 1115) or quota exceeded (APIG.3100). */
export class ApigForbiddenError extends ApigError {
  override readonly name = 'ApigForbiddenError';
  readonly kind = 'forbidden';
  readonly retryable = false;
}

/**
 * 401 after the one credential refresh, or IAM refusing the credentials.
 * Not retryable: repeated failed AK/SK signatures lock the access key.
 */
export class ApigUnauthorizedError extends ApigError {
  override readonly name = 'ApigUnauthorizedError';
  readonly kind = 'unauthorized';
  readonly retryable = false;
}

/** 429 APIGW.0308 or 500 APIG.9008: retry after `retryAfterMs`. */
export class ApigThrottledError extends ApigError {
  override readonly name = 'ApigThrottledError';
  readonly kind = 'throttled';
  readonly retryable = true;
  readonly retryAfterMs: number;
  /** What APIG's `Retry-After` said; undefined when it sent none (retryAfterMs is then our guess). */
  readonly serverRetryAfterMs: number | undefined;

  constructor(
    summary: string,
    details: ApigErrorDetails & { retryAfterMs: number; serverRetryAfterMs?: number | undefined },
  ) {
    const { retryAfterMs, serverRetryAfterMs, ...rest } = details;
    super(`${summary} (retry after ${retryAfterMs} ms)`, rest);
    this.retryAfterMs = retryAfterMs;
    this.serverRetryAfterMs = serverRetryAfterMs;
  }
}

/** Other 5xx, 408, network errors, timeouts, connection resets. */
export class ApigServerError extends ApigError {
  override readonly name = 'ApigServerError';
  readonly kind = 'server';
  readonly retryable = true;
}

/** An answer that is not what the API documents: not JSON, missing fields, odd status. */
export class ApigProtocolError extends ApigError {
  override readonly name = 'ApigProtocolError';
  readonly kind = 'protocol';
  readonly retryable = true;
}

export function isApigError(value: unknown): value is ApigError {
  return value instanceof ApigError;
}

export interface ClassifyContext {
  operation: ApigOperation;
  certificateId?: string | undefined;
  /** For an HTTP-date Retry-After, in ms since the epoch; default: the current time. */
  nowMs?: number;
  /** In [0, 1): picks the 2-5 s throttling delay; default Math.random. */
  random?: () => number;
}

const THROTTLE_DEFAULT_MIN_MS = 2_000;
const THROTTLE_DEFAULT_SPREAD_MS = 3_000;

export interface ServerErrorBody {
  errorCode?: string;
  errorMessage?: string;
  requestId?: string;
}

function stringField(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * APIG's `{"error_code","error_msg"}`; IAM answers either that or
 * `{"error":{"code":401,"message","title"}}`. Anything else yields no fields.
 */
export function parseErrorBody(text: string): ServerErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const body = parsed as Record<string, unknown>;
  const nested =
    typeof body.error === 'object' && body.error !== null
      ? (body.error as Record<string, unknown>)
      : {};
  // IAM's nested `code` is only the HTTP status again: not an error code.
  const errorCode =
    stringField(body.error_code) ?? (typeof nested.code === 'string' ? nested.code : undefined);
  const message = stringField(body.error_msg) ?? stringField(nested.message);
  const requestId = stringField(body.request_id);
  return {
    ...(errorCode === undefined ? {} : { errorCode }),
    ...(message === undefined ? {} : { errorMessage: sanitizeServerText(message) }),
    ...(requestId === undefined ? {} : { requestId }),
  };
}

/** APIG's throttling answered as 500 "Too many requests". */
const THROTTLED_500_CODES = new Set(['APIG.9008']);

/**
 * The error an APIG answer stands for, or undefined for a 2xx (whose body the
 * caller still has to validate). Pure: the time and randomness are inputs.
 */
export function classifyApigResponse(
  status: number,
  bodyText: string,
  headers: ResponseHeaders,
  context: ClassifyContext,
): ApigError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const body = parseErrorBody(bodyText);
  const details: ApigErrorDetails = {
    operation: context.operation,
    certificateId: context.certificateId,
    httpStatus: status,
    errorCode: body.errorCode,
    errorMessage: body.errorMessage,
    requestId: headerValue(headers, 'x-request-id') ?? body.requestId,
  };
  if (status === 429 || (status === 500 && THROTTLED_500_CODES.has(body.errorCode ?? ''))) {
    const random = context.random ?? Math.random;
    const serverRetryAfterMs = parseRetryAfter(
      headerValue(headers, 'retry-after'),
      context.nowMs ?? Date.now(),
    );
    const retryAfterMs =
      serverRetryAfterMs ??
      Math.round(THROTTLE_DEFAULT_MIN_MS + random() * THROTTLE_DEFAULT_SPREAD_MS);
    return new ApigThrottledError('throttled', { ...details, retryAfterMs, serverRetryAfterMs });
  }
  const afterDispatch = { ...details, outcomeUnknown: isWriteOperation(context.operation) };
  if (status >= 500) return new ApigServerError('server error', afterDispatch);
  if (status === 408) return new ApigServerError('request timed out at the server', afterDispatch);
  if (status === 401) return new ApigUnauthorizedError('credentials rejected', details);
  if (status === 403) return new ApigForbiddenError('forbidden', details);
  if (status === 404) return new ApigNotFoundError('not found', details);
  if (status >= 400) return new ApigInvalidInputError('request rejected', details);
  return new ApigProtocolError('unexpected HTTP status', afterDispatch);
}

/** Network failures that happen before any byte of the request is sent. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A failure below HTTP (connect, TLS, timeout, reset): transient by nature. */
export function networkError(
  cause: unknown,
  context: { operation: ApigOperation; certificateId?: string | undefined },
): ApigServerError {
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause
      ? stringField(cause.code)
      : undefined;
  const text = cause instanceof Error ? sanitizeServerText(cause.message) : undefined;
  return new ApigServerError('network error', {
    ...context,
    errorCode: code,
    errorMessage: text,
    outcomeUnknown: isWriteOperation(context.operation) && !NOT_SENT_CODES.has(code ?? ''),
    cause,
  });
}
