// Test-side OpenID Connect issuer: signs ID tokens with its own key and
// publishes the matching JWKS, written independently of the simulator's
// verifier, for unit tests that need no kube-apiserver.
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { SimulatedIdentityProvider } from './apig-simulator/index.ts';

export type JwtAlgorithm = 'RS256' | 'ES256';

export interface TestIssuer {
  issuer: string;
  kid: string;
  algorithm: JwtAlgorithm;
  jwks: { keys: Record<string, unknown>[] };
  /** Signs `claims` (any JSON) with this issuer's key; `header` overrides the JOSE header. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** An identity provider registration for this issuer. */
  provider(id: string, audiences: string[], subjects: string[]): SimulatedIdentityProvider;
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export function signJwt(
  claims: Record<string, unknown>,
  key: KeyObject,
  header: Record<string, unknown>,
): string {
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  const signature =
    header.alg === 'ES256'
      ? sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${signature.toString('base64url')}`;
}

export function createTestIssuer(
  issuer = 'https://issuer.test.invalid/',
  algorithm: JwtAlgorithm = 'RS256',
  kid = `kid-${algorithm.toLowerCase()}`,
): TestIssuer {
  const { privateKey, publicKey } =
    algorithm === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: algorithm, use: 'sig' };
  return {
    issuer,
    kid,
    algorithm,
    jwks: { keys: [jwk] },
    sign: (claims, header = {}) =>
      signJwt(claims, privateKey, { alg: algorithm, kid, typ: 'JWT', ...header }),
    provider: (id, audiences, subjects) => ({
      id,
      issuer,
      jwks: { keys: [jwk] },
      audiences,
      subjects,
    }),
  };
}

/** ServiceAccount-style claims: iss, sub, aud, iat/nbf now, exp after `lifetimeMs`. */
export function serviceAccountClaims(
  issuer: string,
  subject: string,
  audience: string,
  nowMs: number,
  lifetimeMs: number,
): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000);
  return {
    iss: issuer,
    sub: subject,
    aud: [audience],
    iat: now,
    nbf: now,
    exp: now + Math.floor(lifetimeMs / 1000),
  };
}
