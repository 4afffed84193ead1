// IAM's ID-token exchange in the simulator: what it accepts, and every check
// that refuses, with IAM's answer.
import { createHash } from 'node:crypto';
import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { ID_TOKEN_EXCHANGE_PATH } from '../../support/apig-simulator/iam-id-token.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { createTestIssuer, serviceAccountClaims } from '../../support/jwt.ts';
import { errorOf, jsonOf, send } from './helpers.ts';
import type { SimResponse } from './helpers.ts';

const IDP = 'cluster-oidc';
const AUDIENCE = 'iam.test.invalid';
const SUBJECT = 'system:serviceaccount:apig-system:apig-cert-operator';
const HOUR = 3_600_000;

const rsa = createTestIssuer('https://cluster.test.invalid/', 'RS256');
const ec = createTestIssuer('https://ec-cluster.test.invalid/', 'ES256');
/** Same issuer URL and kid as `rsa`, another key: a forged token. */
const forger = createTestIssuer(rsa.issuer, 'RS256', rsa.kid);

let clock: FakeClock;
let sim: ApigSimulator;

beforeEach(async () => {
  clock = new FakeClock(Date.now());
  sim = await startApigSimulator({
    identityProviders: [
      rsa.provider(IDP, [AUDIENCE], [SUBJECT]),
      ec.provider('ec-oidc', [AUDIENCE], [SUBJECT]),
    ],
    tokenLifetimeMs: HOUR,
    now: () => clock.date(),
  });
  sim.seedCertificate({ id: 'cert-1', name: 'cert_one' });
});

afterEach(() => sim.close());

function claims(overrides: Record<string, unknown> = {}, issuer = rsa.issuer) {
  return { ...serviceAccountClaims(issuer, SUBJECT, AUDIENCE, clock.now(), HOUR), ...overrides };
}

function exchange(
  idToken: string | undefined,
  options: { idpId?: string | undefined; projectId?: string | undefined; body?: string } = {},
): Promise<SimResponse> {
  const idpId = 'idpId' in options ? options.idpId : IDP;
  const projectId = 'projectId' in options ? options.projectId : sim.projectId;
  const body =
    options.body ??
    JSON.stringify({
      auth: {
        ...(idToken !== undefined ? { id_token: { id: idToken } } : {}),
        ...(projectId !== undefined ? { scope: { project: { id: projectId } } } : {}),
      },
    });
  return send(sim.url, {
    method: 'POST',
    path: ID_TOKEN_EXCHANGE_PATH,
    headers: {
      'Content-Type': 'application/json;charset=UTF-8',
      ...(idpId !== undefined ? { 'X-Idp-Id': idpId } : {}),
    },
    body,
  });
}

function showCertificate(token: string): Promise<SimResponse> {
  return send(sim.url, {
    path: `/v2/${sim.projectId}/apigw/certificates/cert-1`,
    headers: { 'X-Auth-Token': token },
  });
}

describe('the ID-token exchange accepts a valid token', () => {
  it.each([
    ['RS256', rsa, IDP],
    ['ES256', ec, 'ec-oidc'],
  ])(
    '%s: 201, a project-scoped X-Subject-Token APIG accepts, expires_at',
    async (_alg, issuer, idpId) => {
      const res = await exchange(issuer.sign(claims({}, issuer.issuer)), { idpId });
      expect(res.status).toBe(201);
      const token = res.headers['x-subject-token'];
      expect(typeof token).toBe('string');
      const body = jsonOf<{ token: { expires_at: string; project: { id: string } } }>(res);
      expect(Date.parse(body.token.expires_at)).toBe(clock.now() + HOUR);
      expect(body.token.project.id).toBe(sim.projectId);
      expect((await showCertificate(token as string)).status).toBe(200);
      expect(sim.issuedTokens()).toEqual([token]);
    },
  );

  it('the request log names the presented ID token by its SHA-256, never the token', async () => {
    const jwt = rsa.sign(claims());
    await exchange(jwt);
    const entry = sim.requests().at(-1)!;
    expect(entry.idTokenSha256).toBe(createHash('sha256').update(jwt).digest('hex'));
    expect(JSON.stringify(entry)).not.toContain(jwt.split('.')[2]);
  });

  it('the request log names the identity provider and subject: of the exchange and of calls with its token', async () => {
    const res = await exchange(rsa.sign(claims()));
    await showCertificate(res.headers['x-subject-token'] as string);
    const caller = { kind: 'idToken', idpId: IDP, subject: SUBJECT };
    expect(sim.requests().map((r) => [r.path, r.status, r.caller])).toEqual([
      [ID_TOKEN_EXCHANGE_PATH, 201, caller],
      [`/v2/${sim.projectId}/apigw/certificates/cert-1`, 200, caller],
    ]);
  });

  it('a refused exchange is logged with the subject the token claims', async () => {
    const other = 'system:serviceaccount:tenant:apig-cert-operator';
    await exchange(rsa.sign(claims({ sub: other })));
    expect(sim.requests().at(-1)).toMatchObject({
      status: 401,
      caller: { kind: 'idToken', idpId: IDP, subject: other },
    });
  });

  it('without a scope the token is unscoped and APIG refuses it (APIG.1003)', async () => {
    const res = await exchange(rsa.sign(claims()), { projectId: undefined });
    expect(res.status).toBe(201);
    const refused = await showCertificate(res.headers['x-subject-token'] as string);
    expect([refused.status, errorOf(refused).error_code]).toEqual([401, 'APIG.1003']);
  });

  it('the issued token expires with its own lifetime, not the ID token', async () => {
    const res = await exchange(rsa.sign(claims({ exp: Math.floor(clock.now() / 1000) + 600 })));
    const token = res.headers['x-subject-token'] as string;
    await clock.advance(30 * 60_000);
    expect((await showCertificate(token)).status).toBe(200);
    await clock.advance(31 * 60_000);
    expect(errorOf(await showCertificate(token)).error_code).toBe('APIG.1001');
  });
});

describe('the ID-token exchange refuses, with IAM codes', () => {
  const nowS = (): number => Math.floor(clock.now() / 1000);
  it.each<[string, () => Promise<SimResponse>, number, string, string]>([
    // [case, request, HTTP status, error_code, message contains]
    [
      'no X-Idp-Id',
      () => exchange(rsa.sign(claims()), { idpId: undefined }),
      400,
      'IAM.0007',
      'X-Idp-Id',
    ],
    [
      'unknown X-Idp-Id',
      () => exchange(rsa.sign(claims()), { idpId: 'other' }),
      404,
      'IAM.0004',
      'identity provider: other',
    ],
    ['no id_token', () => exchange(undefined), 400, 'IAM.0007', 'auth.id_token.id'],
    [
      'body not JSON',
      () => exchange(undefined, { body: '{"auth":' }),
      400,
      'IAM.0007',
      'auth.id_token.id',
    ],
    ['not a JWT', () => exchange('not-a-jwt'), 401, 'IAM.0101', 'not a signed JWT'],
    [
      'payload not JSON',
      () => exchange(`${rsa.sign(claims()).split('.')[0]}.bm90LWpzb24.c2ln`),
      401,
      'IAM.0101',
      'not JSON',
    ],
    ['alg none', () => exchange(rsa.sign(claims(), { alg: 'none' })), 401, 'IAM.0101', 'algorithm'],
    ['HS256', () => exchange(rsa.sign(claims(), { alg: 'HS256' })), 401, 'IAM.0101', 'algorithm'],
    ['signed by another key', () => exchange(forger.sign(claims())), 401, 'IAM.0101', 'signature'],
    [
      'unknown kid',
      () => exchange(rsa.sign(claims(), { kid: 'rotated-away' })),
      401,
      'IAM.0101',
      'signature',
    ],
    [
      'claims changed after signing',
      () => exchange(tampered(rsa.sign(claims()))),
      401,
      'IAM.0101',
      'signature',
    ],
    [
      'ES256 token at the RS256 provider',
      () => exchange(ec.sign(claims({}, rsa.issuer))),
      401,
      'IAM.0101',
      'signature',
    ],
    [
      'wrong issuer',
      () => exchange(rsa.sign(claims({ iss: 'https://elsewhere/' }))),
      401,
      'IAM.0101',
      'issuer',
    ],
    [
      'wrong audience',
      () => exchange(rsa.sign(claims({ aud: ['https://kubernetes.default.svc'] }))),
      401,
      'IAM.0101',
      'audience',
    ],
    [
      'no audience',
      () => exchange(rsa.sign(claims({ aud: undefined }))),
      401,
      'IAM.0101',
      'audience',
    ],
    ['expired', () => exchange(rsa.sign(claims({ exp: nowS() - 1 }))), 401, 'IAM.0101', 'expired'],
    [
      'expires this second',
      () => exchange(rsa.sign(claims({ exp: nowS() }))),
      401,
      'IAM.0101',
      'expired',
    ],
    ['no exp', () => exchange(rsa.sign(claims({ exp: undefined }))), 401, 'IAM.0101', 'no exp'],
    [
      'not yet valid',
      () => exchange(rsa.sign(claims({ nbf: nowS() + 60 }))),
      401,
      'IAM.0101',
      'not valid yet',
    ],
    [
      'subject not mapped',
      () => exchange(rsa.sign(claims({ sub: 'system:serviceaccount:other:default' }))),
      401,
      'IAM.0101',
      'mapping rule',
    ],
    [
      'unknown project',
      () => exchange(rsa.sign(claims()), { projectId: 'feedfeedfeedfeedfeedfeedfeedfeed' }),
      403,
      'IAM.0102',
      'no access to project',
    ],
  ])('%s', async (_case, call, status, code, message) => {
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.headers['x-subject-token']).toBeUndefined();
    const body = jsonOf<{ error_code: string; error_msg: string }>(res);
    expect(body.error_code).toBe(code);
    expect(body.error_msg).toContain(message);
    expect(sim.requests().at(-1)?.errorCode).toBe(code);
  });

  it('GET on the exchange path is not an API', async () => {
    const res = await send(sim.url, { path: ID_TOKEN_EXCHANGE_PATH });
    expect(errorOf(res).error_code).toBe('APIGW.0101');
  });
});

/** The payload swapped for one with another subject, the signature kept. */
function tampered(jwt: string): string {
  const [header, , signature] = jwt.split('.');
  const payload = Buffer.from(
    JSON.stringify(claims({ sub: 'system:serviceaccount:x:y' })),
  ).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
