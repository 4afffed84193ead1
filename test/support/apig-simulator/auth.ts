// Authentication of certificate calls (AK/SK signature, IAM token, static
// token) and the IAM password-token endpoint, answering as APIG and IAM do.
import { createHash, randomBytes } from 'node:crypto';
import { ApigError } from './errors.ts';
import {
  canonicalRequest,
  parseAuthorization,
  parseSdkDate,
  signatureOf,
  signaturesEqual,
  stringToSign,
} from './signature.ts';
import type { SignedRequestParts } from './signature.ts';
import type { Caller, SimulatorOptions } from './types.ts';

export type AuthMethod = 'aksk' | 'token' | 'static-token';

export const MAX_CLOCK_SKEW_MS = 15 * 60_000;
export const FAILURES_BEFORE_LOCK = 5;
export const LOCK_DURATION_MS = 5 * 60_000;
const DEFAULT_TOKEN_LIFETIME_MS = 24 * 3_600_000;

interface IssuedToken {
  projectId?: string;
  issuedFor: Caller;
  expiresAt: Date;
  revoked: boolean;
}

export interface HttpReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface AuthenticatorConfig {
  accessKeys: NonNullable<SimulatorOptions['accessKeys']>;
  users: NonNullable<SimulatorOptions['users']>;
  staticTokens: string[];
  tokenLifetimeMs?: number;
  knownProjects: ReadonlySet<string>;
  projectNames: Readonly<Record<string, string>>;
  now: () => Date;
}

const IAM_PREFIX = 'Incorrect IAM authentication information';

function akskFailure(detail: string): ApigError {
  return new ApigError(401, 'APIGW.0301', `${IAM_PREFIX}: ${detail}`);
}

function header(parts: SignedRequestParts, name: string): string | undefined {
  const value = parts.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function stableId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/** IAM writes expires_at with microseconds: 2020-01-04T09:05:22.701000Z. */
export function iamTime(date: Date): string {
  return date.toISOString().replace(/Z$/, '000Z');
}

function iamError(status: number, message: string): HttpReply {
  const title = status === 400 ? 'Bad Request' : 'Unauthorized';
  return { status, body: { error: { code: status, message, title } } };
}

/** The IAM user a password-token request names, whatever its password. */
function passwordUserOf(body: unknown): { domain: string; user: string } | undefined {
  const user = (body as { auth?: { identity?: { password?: { user?: Record<string, unknown> } } } })
    ?.auth?.identity?.password?.user;
  const domain = (user?.domain as { name?: unknown } | undefined)?.name;
  return typeof user?.name === 'string' && typeof domain === 'string'
    ? { domain, user: user.name }
    : undefined;
}

export class Authenticator {
  readonly #config: AuthenticatorConfig;
  /** The IAM users, with the passwords they have now (changePassword). */
  readonly #users: AuthenticatorConfig['users'];
  readonly #tokens = new Map<string, IssuedToken>();
  readonly #consecutiveFailures = new Map<string, number>();
  readonly #lockedUntil = new Map<string, Date>();

  constructor(config: AuthenticatorConfig) {
    this.#config = config;
    this.#users = config.users.map((u) => ({ ...u }));
  }

  /**
   * A person changing an IAM user's password: the old one is refused from now
   * on. Tokens issued before stay valid (IAM lets them live up to 30 minutes
   * more; `expireTokens` models their end).
   */
  changePassword(domain: string, name: string, password: string): void {
    const account = this.#users.find((u) => u.domain === domain && u.name === name);
    if (account === undefined) throw new Error(`no IAM user ${domain}/${name} in the simulator`);
    account.password = password;
  }

  /**
   * Who a certificate call presents itself as, accepted or not: the AK named in
   * its signature, or what its X-Auth-Token was issued for.
   */
  callerOf(parts: SignedRequestParts): Caller | undefined {
    const authorization = header(parts, 'authorization');
    if (authorization?.startsWith('SDK-HMAC-SHA256')) {
      const accessKey = parseAuthorization(authorization)?.accessKey;
      return accessKey === undefined ? undefined : { kind: 'accessKey', accessKey };
    }
    const token = header(parts, 'x-auth-token');
    if (token === undefined || token === '') return undefined;
    if (this.#config.staticTokens.includes(token)) return { kind: 'staticToken' };
    return this.#tokens.get(token)?.issuedFor;
  }

  /** Checks the caller's credentials for a certificate call on `projectId`; throws a 401 ApigError. */
  authenticate(parts: SignedRequestParts, projectId: string): AuthMethod {
    const authorization = header(parts, 'authorization');
    const token = header(parts, 'x-auth-token');
    let method: AuthMethod;
    if (authorization?.startsWith('SDK-HMAC-SHA256')) {
      this.#verifySignature(parts, authorization);
      method = 'aksk';
    } else if (token !== undefined && token !== '') {
      method = this.#verifyToken(token, projectId);
    } else if (authorization !== undefined) {
      throw akskFailure('unsupported authorization scheme');
    } else {
      throw new ApigError(401, 'APIG.1000', `${IAM_PREFIX}: x-auth-token not found`);
    }
    const declaredProject = header(parts, 'x-project-id');
    if (
      !this.#config.knownProjects.has(projectId) ||
      (declaredProject !== undefined && declaredProject !== projectId)
    ) {
      throw new ApigError(
        401,
        'APIG.1003',
        `${IAM_PREFIX}: project ${projectId} is not accessible with these credentials`,
      );
    }
    return method;
  }

  #verifyToken(token: string, projectId: string): AuthMethod {
    if (this.#config.staticTokens.includes(token)) return 'static-token';
    const issued = this.#tokens.get(token);
    if (issued === undefined)
      throw new ApigError(401, 'APIG.1002', `${IAM_PREFIX}: decrypt token fail`);
    if (issued.revoked) throw new ApigError(401, 'APIGW.0307', 'The token must be updated');
    if (this.#config.now().getTime() >= issued.expiresAt.getTime()) {
      throw new ApigError(
        401,
        'APIG.1001',
        `${IAM_PREFIX}: token expires, expires_at: ${iamTime(issued.expiresAt)}`,
      );
    }
    if (issued.projectId !== projectId) {
      throw new ApigError(
        401,
        'APIG.1003',
        `${IAM_PREFIX}: the token is not scoped to project ${projectId}`,
      );
    }
    return 'token';
  }

  #verifySignature(parts: SignedRequestParts, authorization: string): void {
    const parsed = parseAuthorization(authorization);
    if (parsed === undefined) throw akskFailure('malformed Authorization header');
    const key = this.#config.accessKeys.find((k) => k.ak === parsed.accessKey);
    if (key === undefined) throw akskFailure('access key not found');
    const now = this.#config.now();
    const lockedUntil = this.accessKeyLockedUntil(key.ak);
    if (lockedUntil !== undefined) {
      throw akskFailure(
        `access key locked after ${FAILURES_BEFORE_LOCK} failed signatures, until ${lockedUntil.toISOString()}`,
      );
    }
    const failure = this.#signatureProblem(parts, parsed, key, now);
    if (failure !== undefined) {
      this.#recordFailure(key.ak, now);
      throw akskFailure(failure);
    }
    this.#consecutiveFailures.delete(key.ak);
  }

  /** Why the signature is not acceptable, or undefined when it is. */
  #signatureProblem(
    parts: SignedRequestParts,
    parsed: NonNullable<ReturnType<typeof parseAuthorization>>,
    key: { sk: string; securityToken?: string },
    now: Date,
  ): string | undefined {
    if (!parsed.signedHeaders.includes('x-sdk-date')) return 'x-sdk-date must be a signed header';
    const sdkDate = header(parts, 'x-sdk-date') ?? '';
    const date = parseSdkDate(sdkDate);
    if (date === undefined) return 'x-sdk-date is missing or not in YYYYMMDDTHHMMSSZ format';
    if (Math.abs(now.getTime() - date.getTime()) > MAX_CLOCK_SKEW_MS) {
      return 'x-sdk-date is more than 15 minutes away from the server time';
    }
    if (header(parts, 'x-security-token') !== key.securityToken) return 'invalid security token';
    const canonical = canonicalRequest(parts, parsed.signedHeaders);
    if (canonical === undefined) return 'verify aksk signature fail';
    const expected = signatureOf(key.sk, stringToSign(canonical, sdkDate));
    return signaturesEqual(expected, parsed.signature) ? undefined : 'verify aksk signature fail';
  }

  #recordFailure(ak: string, now: Date): void {
    const failures = (this.#consecutiveFailures.get(ak) ?? 0) + 1;
    if (failures >= FAILURES_BEFORE_LOCK) {
      this.#lockedUntil.set(ak, new Date(now.getTime() + LOCK_DURATION_MS));
      this.#consecutiveFailures.delete(ak);
    } else {
      this.#consecutiveFailures.set(ak, failures);
    }
  }

  accessKeyLockedUntil(ak: string): Date | undefined {
    const until = this.#lockedUntil.get(ak);
    if (until === undefined || until.getTime() <= this.#config.now().getTime()) return undefined;
    return until;
  }

  /** Every X-Auth-Token IAM issued (password or ID-token exchange), for leak scans. */
  issuedTokens(): string[] {
    return [...this.#tokens.keys()];
  }

  expireTokens(): void {
    for (const token of this.#tokens.values()) token.revoked = true;
  }

  /** A new IAM token APIG accepts for `projectId` (unscoped when undefined) until it expires. */
  mintToken(
    projectId: string | undefined,
    issuedFor: Caller,
  ): { token: string; issuedAt: Date; expiresAt: Date } {
    const issuedAt = this.#config.now();
    const expiresAt = new Date(
      issuedAt.getTime() + (this.#config.tokenLifetimeMs ?? DEFAULT_TOKEN_LIFETIME_MS),
    );
    const token = `MIIT${randomBytes(192).toString('base64').replace(/=+$/, '')}`;
    this.#tokens.set(token, {
      ...(projectId !== undefined ? { projectId } : {}),
      issuedFor,
      expiresAt,
      revoked: false,
    });
    return { token, issuedAt, expiresAt };
  }

  /** `POST /v3/auth/tokens` with the password method; the caller is the user it names. */
  issueToken(body: unknown, withCatalog: boolean): { reply: HttpReply; caller?: Caller } {
    const user = passwordUserOf(body);
    const reply = this.#issuePasswordToken(body, withCatalog);
    return { reply, ...(user ? { caller: { kind: 'password', ...user } } : {}) };
  }

  #issuePasswordToken(body: unknown, withCatalog: boolean): HttpReply {
    const auth = (body as { auth?: Record<string, unknown> } | null)?.auth;
    const identity = auth?.identity as
      { methods?: unknown; password?: { user?: Record<string, unknown> } } | undefined;
    if (!Array.isArray(identity?.methods) || !identity.methods.includes('password')) {
      return iamError(
        400,
        'The request body is invalid: auth.identity.methods must contain "password".',
      );
    }
    const user = identity.password?.user;
    const domain = (user?.domain as { name?: unknown } | undefined)?.name;
    if (
      typeof user?.name !== 'string' ||
      typeof user.password !== 'string' ||
      typeof domain !== 'string'
    ) {
      return iamError(
        400,
        'The request body is invalid: auth.identity.password.user needs name, password and domain.name.',
      );
    }
    const account = this.#users.find((u) => u.domain === domain && u.name === user.name);
    if (account === undefined || account.password !== user.password) {
      return iamError(401, 'The username or password is wrong.');
    }

    const scope = (auth?.scope as { project?: { name?: unknown; id?: unknown } } | undefined)
      ?.project;
    let project: { id: string; name: string } | undefined;
    if (scope !== undefined) {
      const entry = Object.entries(this.#config.projectNames).find(([name, id]) =>
        scope.name !== undefined ? name === scope.name : id === scope.id,
      );
      if (entry === undefined || entry[0] !== account.project) {
        return iamError(401, 'The user has no access to the requested project.');
      }
      project = { name: entry[0], id: entry[1] };
    }

    // An unscoped token is issued as IAM does; APIG then refuses it (APIG.1003).
    const {
      token,
      issuedAt: now,
      expiresAt,
    } = this.mintToken(project?.id, {
      kind: 'password',
      domain,
      user: user.name,
    });

    const domainRef = { id: stableId('domain', domain), name: domain };
    return {
      status: 201,
      headers: { 'X-Subject-Token': token },
      body: {
        token: {
          expires_at: iamTime(expiresAt),
          issued_at: iamTime(now),
          methods: ['password'],
          ...(project ? { project: { ...project, domain: domainRef } } : { domain: domainRef }),
          user: {
            id: stableId('user', domain, account.name),
            name: account.name,
            domain: domainRef,
            password_expires_at: '',
          },
          roles: [{ id: stableId('role', 'apig_admin'), name: 'apig_adm' }],
          ...(withCatalog ? { catalog: [] } : {}),
        },
      },
    };
  }
}
