// OpenID Connect ID-token checks as IAM makes them for a registered identity
// provider: signature against the provider's JWKS, then iss, aud, exp/nbf and
// the subject the mapping rules allow.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { SimulatedIdentityProvider } from './types.ts';

export type JwtProblem =
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'notYetValid'
  | 'subject';

export interface JwtClaims {
  iss?: unknown;
  aud?: unknown;
  sub?: unknown;
  exp?: unknown;
  nbf?: unknown;
}

export type JwtVerdict =
  | { ok: true; subject: string; expiresAt: Date }
  | { ok: false; problem: JwtProblem; detail: string };

interface JwtHeader {
  alg?: unknown;
  kid?: unknown;
}

/** The JWS algorithms Kubernetes signs ServiceAccount tokens with, as node:crypto verifies them. */
const ALGORITHMS: Readonly<Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }>> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

function decodeJson<T>(part: string): T | undefined {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as T)
      : undefined;
  } catch {
    return undefined;
  }
}

function candidateKeys(provider: SimulatedIdentityProvider, kid: unknown): KeyObject[] {
  const keys = provider.jwks.keys.filter((k) => kid === undefined || k.kid === kid);
  return keys.flatMap((jwk) => {
    try {
      return [createPublicKey({ key: jwk, format: 'jwk' })];
    } catch {
      return [];
    }
  });
}

/** The `sub` an ID token claims, before any check (the request log's caller of a refused exchange). */
export function claimedSubject(jwt: string): string | undefined {
  const sub = decodeJson<JwtClaims>(jwt.split('.')[1] ?? '')?.sub;
  return typeof sub === 'string' ? sub : undefined;
}

function fail(problem: JwtProblem, detail: string): JwtVerdict {
  return { ok: false, problem, detail };
}

export function verifyIdToken(
  jwt: string,
  provider: SimulatedIdentityProvider,
  now: Date,
): JwtVerdict {
  const parts = jwt.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) {
    return fail('malformed', 'the ID token is not a signed JWT');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson<JwtHeader>(headerPart);
  const claims = decodeJson<JwtClaims>(payloadPart);
  if (header === undefined || claims === undefined) {
    return fail('malformed', 'the ID token header or payload is not JSON');
  }
  const algorithm = typeof header.alg === 'string' ? ALGORITHMS[header.alg] : undefined;
  if (algorithm === undefined) {
    return fail('algorithm', `signing algorithm ${String(header.alg)} is not supported`);
  }
  const signed = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  const verified = candidateKeys(provider, header.kid).some((key) =>
    verify(
      algorithm.hash,
      signed,
      { key, ...(algorithm.dsaEncoding ? { dsaEncoding: algorithm.dsaEncoding } : {}) },
      signature,
    ),
  );
  if (!verified) return fail('signature', 'the ID token signature does not verify with the JWKS');
  if (claims.iss !== provider.issuer) {
    return fail('issuer', `issuer ${String(claims.iss)} is not the identity provider's`);
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.some((a) => typeof a === 'string' && provider.audiences.includes(a))) {
    return fail('audience', 'no audience of the ID token is an allowed client ID');
  }
  if (typeof claims.exp !== 'number') return fail('malformed', 'the ID token has no exp');
  const nowMs = now.getTime();
  if (nowMs >= claims.exp * 1000) {
    return fail('expired', `the ID token expired at ${new Date(claims.exp * 1000).toISOString()}`);
  }
  if (typeof claims.nbf === 'number' && nowMs < claims.nbf * 1000) {
    return fail('notYetValid', 'the ID token is not valid yet (nbf)');
  }
  if (typeof claims.sub !== 'string' || !provider.subjects.includes(claims.sub)) {
    return fail('subject', 'no mapping rule of the identity provider matches the subject');
  }
  return { ok: true, subject: claims.sub, expiresAt: new Date(claims.exp * 1000) };
}
