// IAM tokens, whatever proves the identity (a password, a workload's ID
// token): one POST that answers X-Subject-Token + token.expires_at, and the
// cache every token auth shares.
import type { Dispatcher } from 'undici';
import type { Clock } from '../common/clock.ts';
import { headerValue, requestUrl } from '../common/http-request.ts';
import type { Logger } from '../log.ts';
import { untilAborted } from '../common/abortable.ts';
import type { ApigError } from './errors.ts';
import {
  ApigProtocolError,
  ApigUnauthorizedError,
  classifyApigResponse,
  networkError,
} from './errors.ts';
import { readBodyText } from './http.ts';

export const AUTH_TOKEN_HEADER = 'X-Auth-Token';

/** Fetch a new token this long before it expires (capped at half its remaining life). */
export const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

export interface IamTransport {
  dispatcher: Dispatcher;
  logger: Logger;
  clock: Clock;
}

export interface IamTokenRequest {
  url: URL;
  /** Extra headers (e.g. X-Idp-Id); content-type is added. */
  headers?: Record<string, string>;
  body: string;
}

export interface IssuedIamToken {
  token: string;
  expiresAt: Date;
}

export function iamUrl(iamEndpoint: string, path: string): URL {
  return new URL(`${iamEndpoint.replace(/\/+$/, '')}${path}`);
}

/** POST to IAM and read the token from X-Subject-Token and `token.expires_at`. */
export async function requestIamToken(
  tokenRequest: IamTokenRequest,
  transport: IamTransport,
): Promise<IssuedIamToken> {
  const { url } = tokenRequest;
  const { clock, logger } = transport;
  const context = { operation: 'iamToken' as const };
  const started = clock.now();
  let status: number;
  let headers: Record<string, string | string[] | undefined>;
  let text: string;
  try {
    const response = await requestUrl(transport.dispatcher, url, {
      method: 'POST',
      headers: { ...tokenRequest.headers, 'content-type': 'application/json;charset=UTF-8' },
      body: tokenRequest.body,
    });
    status = response.statusCode;
    headers = response.headers;
    text = await readBodyText(response.body);
  } catch (error) {
    throw networkError(error, context);
  }
  const requestId = headerValue(headers, 'x-request-id');
  logger.debug(
    {
      operation: 'iamToken',
      method: 'POST',
      path: url.pathname,
      status,
      durationMs: clock.now() - started,
      requestId,
    },
    'IAM call',
  );
  const failure = classifyApigResponse(status, text, headers, { ...context, nowMs: clock.now() });
  if (failure) throw asIamFailure(failure);
  const details = { ...context, httpStatus: status, requestId };
  const token = headerValue(headers, 'x-subject-token');
  if (!token)
    throw new ApigProtocolError('IAM answered without an X-Subject-Token header', details);
  const expiresAt = readExpiresAt(text);
  if (!expiresAt) {
    throw new ApigProtocolError('IAM answered without a readable token.expires_at', details);
  }
  logger.debug({ expiresAt: expiresAt.toISOString() }, 'IAM token issued');
  return { token, expiresAt };
}

function readExpiresAt(text: string): Date | undefined {
  try {
    const body = JSON.parse(text) as { token?: { expires_at?: unknown } };
    const raw = body.token?.expires_at;
    if (typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return new Date(raw);
  } catch {
    // a missing expires_at, reported by the caller
  }
  return undefined;
}

/**
 * When to fetch again for something that expires at `expiresAtMs`:
 * `refreshBeforeExpiryMs` early, but never more than half of what is left, so
 * a short-lived token is still used for a while.
 */
export function refreshTime(
  expiresAtMs: number,
  nowMs: number,
  refreshBeforeExpiryMs: number,
): number {
  const marginMs = Math.min(refreshBeforeExpiryMs, Math.max(expiresAtMs - nowMs, 0) / 2);
  return expiresAtMs - marginMs;
}

export interface CachedToken {
  token: string;
  /** Clock time after which the next caller fetches a new token. */
  refreshAt: number;
}

export interface TokenCache {
  /** The cached token, or a new one: one fetch shared by every concurrent caller. */
  current(signal: AbortSignal | undefined): Promise<string>;
  /** Drop `token` if it is still the cached one (N requests refused with it: one new fetch). */
  invalidate(token: string | undefined): void;
}

export function createTokenCache(fetchToken: () => Promise<CachedToken>, clock: Clock): TokenCache {
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;
  return {
    async current(signal) {
      if (cached && clock.now() < cached.refreshAt) return cached.token;
      inFlight ??= fetchToken()
        .then((fresh) => {
          cached = fresh;
          return fresh;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return (await untilAborted(inFlight, signal)).token;
    },
    invalidate(token) {
      if (cached && cached.token === token) cached = undefined;
    },
  };
}

/**
 * IAM refusing the request (wrong password, unknown user, project or identity
 * provider, a refused ID token) means the configured credentials cannot work:
 * unauthorized. Throttling and server errors keep their kind.
 */
function asIamFailure(error: ApigError): ApigError {
  if (error.kind === 'throttled' || error.kind === 'server' || error.kind === 'protocol') {
    return error;
  }
  return new ApigUnauthorizedError('IAM refused to issue a token', {
    operation: error.operation,
    httpStatus: error.httpStatus,
    errorCode: error.errorCode,
    errorMessage: error.errorMessage,
    requestId: error.requestId,
  });
}
