// Keyless: a workload's OpenID Connect ID token (a Kubernetes ServiceAccount
// token) exchanged at IAM for a project-scoped X-Auth-Token
// (CreateTokenWithIdToken, docs/architecture.md §6.3). The ID token is never
// logged and never part of an error message.
import { createTokenAuth, type ApigAuth } from './auth.ts';
import { ApigUnauthorizedError } from './errors.ts';
import {
  DEFAULT_REFRESH_BEFORE_EXPIRY_MS,
  createTokenCache,
  iamUrl,
  refreshTime,
  requestIamToken,
  type IamTransport,
} from './iam-token.ts';

export const ID_TOKEN_EXCHANGE_PATH = '/v3.0/OS-AUTH/id-token/tokens';
export const IDP_ID_HEADER = 'X-Idp-Id';

export interface WorkloadIdentityCredentials {
  /** e.g. https://iam.myhuaweicloud.com (global) or https://iam.{region}.myhuaweicloud.com */
  iamEndpoint: string;
  /** The identity provider registered in IAM for the cluster's issuer, sent as X-Idp-Id. */
  idpId: string;
  /** The project the X-Auth-Token is scoped to. */
  projectId: string;
  /**
   * The current ID token, asked for before every exchange: a projected token
   * file is rotated by the kubelet, a TokenRequest gives a new one each time.
   * A rejection's message must name where the token comes from, never hold it.
   */
  idToken: () => Promise<string>;
}

export interface WorkloadIdentityAuthOptions extends WorkloadIdentityCredentials, IamTransport {
  /** Exchange again this long before the X-Auth-Token or the ID token expires. Default 5 min. */
  refreshBeforeExpiryMs?: number;
}

/** The body of CreateTokenWithIdToken, scoped to one project. */
export function idTokenExchangeBody(idToken: string, projectId: string): string {
  return JSON.stringify({
    auth: { id_token: { id: idToken }, scope: { project: { id: projectId } } },
  });
}

/**
 * The JWT's `exp` in ms since the epoch, read without verifying the
 * signature (IAM verifies it; we only need to know when to renew).
 * Undefined when the token is not a JWT with a numeric `exp`.
 */
export function jwtExpiresAt(jwt: string): number | undefined {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null) return undefined;
    const exp = (claims as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The token cache of auth.ts fed by the ID-token exchange: one exchange for
 * all concurrent callers, renewed before the X-Auth-Token or the ID token it
 * came from expires (whichever is first), dropped after a 401.
 */
export function createWorkloadIdentityAuth(options: WorkloadIdentityAuthOptions): ApigAuth {
  const refreshBeforeExpiryMs = options.refreshBeforeExpiryMs ?? DEFAULT_REFRESH_BEFORE_EXPIRY_MS;
  const url = iamUrl(options.iamEndpoint, ID_TOKEN_EXCHANGE_PATH);

  async function currentIdToken(): Promise<string> {
    try {
      return await options.idToken();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ApigUnauthorizedError(`no ID token to exchange: ${reason}`, {
        operation: 'iamToken',
        cause: error,
      });
    }
  }

  return createTokenAuth(
    'workloadIdentity',
    createTokenCache(async () => {
      const idToken = await currentIdToken();
      const idTokenExpiresAt = jwtExpiresAt(idToken);
      const issued = await requestIamToken(
        {
          url,
          headers: { [IDP_ID_HEADER]: options.idpId },
          body: idTokenExchangeBody(idToken, options.projectId),
        },
        options,
      );
      const now = options.clock.now();
      const refreshAt = refreshTime(issued.expiresAt.getTime(), now, refreshBeforeExpiryMs);
      return {
        token: issued.token,
        refreshAt:
          idTokenExpiresAt === undefined
            ? refreshAt
            : Math.min(refreshAt, refreshTime(idTokenExpiresAt, now, refreshBeforeExpiryMs)),
      };
    }, options.clock),
  );
}
