// The three ways to authenticate to APIG, behind one interface: AK/SK
// signing, an IAM password token, a fixed token.
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import type { Logger } from '../log.ts';
import type { Clock } from './clock.ts';
import type { ApigError } from './errors.ts';
import {
  ApigProtocolError,
  ApigUnauthorizedError,
  classifyApigResponse,
  headerValue,
  networkError,
} from './errors.ts';
import { untilAborted } from './abortable.ts';
import { readBodyText } from './http.ts';
import { signRequest } from './signer.ts';
import type { AkSkCredentials, SignableRequest } from './signer.ts';

export type AuthMode = 'aksk' | 'iamPassword' | 'token';

export interface ApigAuth {
  readonly mode: AuthMode;
  /**
   * The credential headers for this exact request (signing covers its headers
   * and body). When `signal` aborts, stops waiting for a token and rejects with
   * `signal.reason`; a token request shared with other callers runs on.
   */
  authorize(request: SignableRequest, signal?: AbortSignal): Promise<Record<string, string>>;
  /**
   * APIG answered 401 to a request sent with `used` (what authorize returned):
   * forget that credential so the next authorize() obtains a fresh one.
   */
  invalidate(used: Readonly<Record<string, string>>): void;
}

export const AUTH_TOKEN_HEADER = 'X-Auth-Token';

/** AK/SK: nothing is cached, every request is signed afresh with the current time. */
export function createAkSkAuth(credentials: AkSkCredentials, clock: Clock): ApigAuth {
  return {
    mode: 'aksk',
    authorize: (req) => Promise.resolve(signRequest(req, credentials, clock.now())),
    invalidate: () => undefined,
  };
}

/** APIG_AUTH_TOKEN: the same token on every request; there is nothing to refresh. */
export function createStaticTokenAuth(token: string): ApigAuth {
  return {
    mode: 'token',
    authorize: () => Promise.resolve({ [AUTH_TOKEN_HEADER]: token }),
    invalidate: () => undefined,
  };
}

export interface IamPasswordCredentials {
  /** e.g. https://iam.myhuaweicloud.com (global) or https://iam.{region}.myhuaweicloud.com */
  iamEndpoint: string;
  username: string;
  password: string;
  /** The account (domain) name. */
  domainName: string;
  /** The project NAME the token is scoped to, usually the region, e.g. cn-north-4. */
  projectName: string;
}

export interface IamPasswordAuthOptions extends IamPasswordCredentials {
  dispatcher: Dispatcher;
  logger: Logger;
  clock: Clock;
  /** Fetch a new token this long before expires_at (capped at half the token's life). Default 5 min. */
  refreshBeforeExpiryMs?: number;
}

interface CachedToken {
  token: string;
  expiresAt: Date;
  refreshAt: number;
}

const DEFAULT_REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/** The IAM password-method request body (reference: "IAM tokens"). */
export function iamPasswordTokenBody(c: IamPasswordCredentials): string {
  return JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: c.username, password: c.password, domain: { name: c.domainName } },
        },
      },
      scope: { project: { name: c.projectName } },
    },
  });
}

export function iamTokenUrl(iamEndpoint: string): URL {
  return new URL(`${iamEndpoint.replace(/\/+$/, '')}/v3/auth/tokens?nocatalog=true`);
}

/**
 * IAM password token: cached until shortly before `expires_at`; concurrent
 * callers share one token request (single flight); invalidate() after a 401
 * drops the token only if it is still the cached one, so N requests failing
 * with the same expired token cause one new token request, not N.
 */
export function createIamPasswordAuth(options: IamPasswordAuthOptions): ApigAuth {
  const refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
  const url = iamTokenUrl(options.iamEndpoint);
  let cached: CachedToken | undefined;
  let inFlight: Promise<CachedToken> | undefined;

  async function fetchToken(): Promise<CachedToken> {
    const context = { operation: 'iamToken' as const };
    const started = options.clock.now().getTime();
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: options.dispatcher,
        headers: { 'content-type': 'application/json;charset=UTF-8' },
        body: iamPasswordTokenBody(options),
      });
      status = response.statusCode;
      headers = response.headers;
      text = await readBodyText(response.body);
    } catch (error) {
      throw networkError(error, context);
    }
    const requestId = headerValue(headers, 'x-request-id');
    options.logger.debug(
      {
        operation: 'iamToken',
        method: 'POST',
        path: url.pathname,
        status,
        durationMs: options.clock.now().getTime() - started,
        requestId,
      },
      'IAM call',
    );
    const failure = classifyApigResponse(status, text, headers, {
      ...context,
      now: options.clock.now(),
    });
    if (failure) throw asIamFailure(failure);
    return parseTokenResponse(text, headerValue(headers, 'x-subject-token'), status, requestId);
  }

  function parseTokenResponse(
    text: string,
    token: string | undefined,
    status: number,
    requestId: string | undefined,
  ): CachedToken {
    const details = { operation: 'iamToken' as const, httpStatus: status, requestId };
    if (!token) {
      throw new ApigProtocolError('IAM answered without an X-Subject-Token header', details);
    }
    let expiresAt: Date | undefined;
    try {
      const body = JSON.parse(text) as { token?: { expires_at?: unknown } };
      const raw = body.token?.expires_at;
      if (typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) expiresAt = new Date(raw);
    } catch {
      // reported below as a missing expires_at
    }
    if (!expiresAt) {
      throw new ApigProtocolError('IAM answered without a readable token.expires_at', details);
    }
    const now = options.clock.now().getTime();
    const lifetimeMs = expiresAt.getTime() - now;
    const marginMs = Math.min(refreshBeforeExpiryMs, Math.max(lifetimeMs, 0) / 2);
    options.logger.debug({ expiresAt: expiresAt.toISOString() }, 'IAM token issued');
    return { token, expiresAt, refreshAt: expiresAt.getTime() - marginMs };
  }

  async function currentToken(signal: AbortSignal | undefined): Promise<string> {
    if (cached && options.clock.now().getTime() < cached.refreshAt) return cached.token;
    inFlight ??= fetchToken()
      .then((fresh) => {
        cached = fresh;
        return fresh;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return (await untilAborted(inFlight, signal)).token;
  }

  return {
    mode: 'iamPassword',
    authorize: async (_request, signal) => ({ [AUTH_TOKEN_HEADER]: await currentToken(signal) }),
    invalidate(used) {
      if (cached && cached.token === used[AUTH_TOKEN_HEADER]) cached = undefined;
    },
  };
}

/**
 * IAM refusing the request (wrong password, unknown user or project, no
 * permission) means the configured credentials cannot work: unauthorized.
 * Throttling and server errors keep their kind.
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
