// IAM's CreateTokenWithIdToken: `POST /v3.0/OS-AUTH/id-token/tokens` with
// `X-Idp-Id`, an OpenID Connect ID token in the body and a project scope;
// answers a project-scoped X-Subject-Token that APIG accepts.
import { createHash } from 'node:crypto';
import type { Authenticator, HttpReply } from './auth.ts';
import { iamTime } from './auth.ts';
import { claimedSubject, verifyIdToken, type JwtProblem } from './jwt.ts';
import type { Caller, SimulatedIdentityProvider } from './types.ts';

export const ID_TOKEN_EXCHANGE_PATH = '/v3.0/OS-AUTH/id-token/tokens';

/** IAM's v3.0 error codes for this call (Inferred, see README "Inferred"). */
export const ID_TOKEN_ERROR_CODES = {
  invalidRequest: 'IAM.0007',
  unknownProvider: 'IAM.0004',
  refusedToken: 'IAM.0101',
  noProjectAccess: 'IAM.0102',
} as const;

export interface IdTokenExchangeConfig {
  providers: readonly SimulatedIdentityProvider[];
  knownProjects: ReadonlySet<string>;
  authenticator: Authenticator;
  now: () => Date;
}

/** IAM's v3.0 APIs answer `{"error_msg","error_code"}`. */
function iamV3Error(status: number, code: string, message: string): HttpReply {
  return { status, body: { error_msg: message, error_code: code } };
}

const REFUSAL_MESSAGES: Readonly<Record<JwtProblem, string>> = {
  malformed: 'The id_token is invalid',
  algorithm: 'The id_token signing algorithm is not supported',
  signature: 'The id_token signature verification failed',
  issuer: 'The id_token issuer does not match the identity provider',
  audience: 'The id_token audience is not an allowed client_id',
  expired: 'The id_token has expired',
  notYetValid: 'The id_token is not yet valid',
  subject: 'No mapping rule of the identity provider matches the id_token',
};

function stringAt(value: unknown, ...path: string[]): string | undefined {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === 'string' && current !== '' ? current : undefined;
}

/**
 * Which ID token a request presented, for the request log: its SHA-256 (hex),
 * and as caller the identity provider and the subject the token claims.
 */
export function presentedIdToken(
  idpId: string | undefined,
  body: unknown,
): { idTokenSha256?: string; caller?: Caller } {
  const idToken = stringAt(body, 'auth', 'id_token', 'id');
  if (idToken === undefined) return {};
  const subject = claimedSubject(idToken);
  return {
    idTokenSha256: createHash('sha256').update(idToken).digest('hex'),
    ...(idpId && subject !== undefined ? { caller: { kind: 'idToken', idpId, subject } } : {}),
  };
}

export function exchangeIdToken(
  config: IdTokenExchangeConfig,
  idpId: string | undefined,
  body: unknown,
): HttpReply {
  const { invalidRequest, unknownProvider, refusedToken, noProjectAccess } = ID_TOKEN_ERROR_CODES;
  if (idpId === undefined || idpId === '') {
    return iamV3Error(400, invalidRequest, 'The request header X-Idp-Id is missing');
  }
  const idToken = stringAt(body, 'auth', 'id_token', 'id');
  if (idToken === undefined) {
    return iamV3Error(
      400,
      invalidRequest,
      'The request body is invalid: auth.id_token.id is required',
    );
  }
  const provider = config.providers.find((p) => p.id === idpId);
  if (provider === undefined) {
    return iamV3Error(404, unknownProvider, `Could not find identity provider: ${idpId}.`);
  }
  const now = config.now();
  const verdict = verifyIdToken(idToken, provider, now);
  if (!verdict.ok) {
    return iamV3Error(401, refusedToken, `${REFUSAL_MESSAGES[verdict.problem]}: ${verdict.detail}`);
  }
  const projectId = stringAt(body, 'auth', 'scope', 'project', 'id');
  if (projectId !== undefined && !config.knownProjects.has(projectId)) {
    return iamV3Error(
      403,
      noProjectAccess,
      `The federated user has no access to project ${projectId}`,
    );
  }
  // Without a scope IAM issues an unscoped token, which APIG refuses (APIG.1003).
  const issued = config.authenticator.mintToken(projectId, {
    kind: 'idToken',
    idpId: provider.id,
    subject: verdict.subject,
  });
  return {
    status: 201,
    headers: { 'X-Subject-Token': issued.token },
    body: {
      token: {
        expires_at: iamTime(issued.expiresAt),
        issued_at: iamTime(issued.issuedAt),
        methods: ['mapped'],
        ...(projectId !== undefined ? { project: { id: projectId } } : {}),
        user: {
          name: verdict.subject,
          'OS-FEDERATION': { identity_provider: { id: provider.id }, protocol: { id: 'oidc' } },
        },
      },
    },
  };
}
