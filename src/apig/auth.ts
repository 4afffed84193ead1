// The ways to authenticate to APIG, behind one interface: AK/SK signing, an
// IAM password token, a fixed token (keyless: workload-identity.ts).
import type { Clock } from '../common/clock.ts';
import {
  AUTH_TOKEN_HEADER,
  DEFAULT_REFRESH_BEFORE_EXPIRY_MS,
  createTokenCache,
  iamUrl,
  refreshTime,
  requestIamToken,
  type IamTransport,
  type TokenCache,
} from './iam-token.ts';
import { signRequest } from './signer.ts';
import type { AkSkCredentials, SignableRequest } from './signer.ts';

export type AuthMode = 'aksk' | 'iamPassword' | 'token' | 'workloadIdentity';

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

/** AK/SK: nothing is cached, every request is signed afresh with the current time. */
export function createAkSkAuth(credentials: AkSkCredentials, clock: Clock): ApigAuth {
  return {
    mode: 'aksk',
    authorize: (req) => Promise.resolve(signRequest(req, credentials, new Date(clock.now()))),
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

export interface IamPasswordAuthOptions extends IamPasswordCredentials, IamTransport {
  /** Fetch a new token this long before expires_at (capped at half the token's life). Default 5 min. */
  refreshBeforeExpiryMs?: number;
}

/** The body of IAM's POST /v3/auth/tokens for the password method, scoped to one project. */
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
  return iamUrl(iamEndpoint, '/v3/auth/tokens?nocatalog=true');
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
  return createTokenAuth(
    'iamPassword',
    createTokenCache(async () => {
      const issued = await requestIamToken({ url, body: iamPasswordTokenBody(options) }, options);
      const now = options.clock.now();
      return {
        token: issued.token,
        refreshAt: refreshTime(issued.expiresAt.getTime(), now, refreshBeforeExpiryMs),
      };
    }, options.clock),
  );
}

/** An auth that sends the cache's token as X-Auth-Token and drops it after a 401. */
export function createTokenAuth(mode: AuthMode, cache: TokenCache): ApigAuth {
  return {
    mode,
    authorize: async (_request, signal) => ({ [AUTH_TOKEN_HEADER]: await cache.current(signal) }),
    invalidate: (used) => cache.invalidate(used[AUTH_TOKEN_HEADER]),
  };
}
