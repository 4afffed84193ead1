// Keyless auth against the simulator's IAM: the ID-token exchange, one
// exchange for concurrent callers, renewal before either token expires, and
// errors that carry IAM's code but never the ID token.
import type { ApigClient, ApigCredentials } from '../../../src/apig/index.ts';
import { jwtExpiresAt } from '../../../src/apig/workload-identity.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { createTestIssuer, serviceAccountClaims } from '../../support/jwt.ts';
import {
  captureLogger,
  clientFor,
  putValidLeaf,
  rejectionOf,
  startSimulator,
} from './client-fixtures.ts';

const IDP = 'cluster-oidc';
const AUDIENCE = 'iam.test.invalid';
const SUBJECT = 'system:serviceaccount:apig-system:apig-cert-operator';
const MINUTE = 60_000;
const issuer = createTestIssuer();

describe('jwtExpiresAt reads exp without verifying', () => {
  const payload = (value: unknown): string =>
    `e30.${Buffer.from(JSON.stringify(value)).toString('base64url')}.c2ln`;
  it.each<[string, string, number | undefined]>([
    ['a signed token', issuer.sign({ exp: 1_900_000_000 }), 1_900_000_000_000],
    ['any signature', payload({ exp: 1_800_000_000, sub: 'x' }), 1_800_000_000_000],
    ['exp as a string', payload({ exp: '1800000000' }), undefined],
    ['no exp', payload({ sub: 'x' }), undefined],
    ['payload an array', payload([1]), undefined],
    ['payload not JSON', 'e30.bm90LWpzb24.c2ln', undefined],
    ['two parts', 'e30.e30', undefined],
    ['not a JWT', 'opaque-token', undefined],
  ])('%s', (_case, jwt, expected) => {
    expect(jwtExpiresAt(jwt)).toBe(expected);
  });
});

describe('workload identity auth', () => {
  let clock: FakeClock;
  let sim: ApigSimulator;
  let client: ApigClient | undefined;
  /** ID tokens the source handed out, in order. */
  let handedOut: string[];
  let idTokenLifetimeMs: number;
  let idTokenSource: () => Promise<string>;

  async function start(iamTokenLifetimeMs = 24 * 60 * MINUTE): Promise<void> {
    sim = await startSimulator({
      identityProviders: [issuer.provider(IDP, [AUDIENCE], [SUBJECT])],
      tokenLifetimeMs: iamTokenLifetimeMs,
      now: () => clock.date(),
    });
    sim.seedCertificate({ id: 'cert-1', name: 'cert_one' });
  }

  function credentials(): Extract<ApigCredentials, { kind: 'workloadIdentity' }> {
    return {
      kind: 'workloadIdentity',
      iamEndpoint: sim.url,
      idpId: IDP,
      projectId: sim.projectId,
      idToken: () => idTokenSource(),
    };
  }

  function keylessClient(logger = captureLogger().logger): ApigClient {
    client = clientFor(sim, 'token', { credentials: credentials(), clock, logger });
    return client;
  }

  const exchanges = () => sim.requests().filter((r) => r.path === '/v3.0/OS-AUTH/id-token/tokens');
  const puts = () => sim.requests().filter((r) => r.method === 'PUT');

  beforeEach(() => {
    clock = new FakeClock(Date.now());
    handedOut = [];
    idTokenLifetimeMs = 60 * MINUTE;
    idTokenSource = () => {
      const jwt = issuer.sign(
        serviceAccountClaims(issuer.issuer, SUBJECT, AUDIENCE, clock.now(), idTokenLifetimeMs),
      );
      handedOut.push(jwt);
      return Promise.resolve(jwt);
    };
  });

  afterEach(async () => {
    await client?.close();
    client = undefined;
    await sim.close();
  });

  it('exchanges the ID token for a project-scoped X-Auth-Token APIG accepts', async () => {
    await start();
    const keyless = keylessClient();
    expect(keyless.authMode).toBe('workloadIdentity');
    const answer = await putValidLeaf(keyless, 'cert-1');
    expect(answer.id).toBe('cert-1');
    expect(exchanges().map((r) => r.status)).toEqual([201]);
    expect(puts().map((r) => [r.status, r.auth])).toEqual([[200, 'token']]);
  });

  it('concurrent callers share one exchange', async () => {
    await start();
    for (let i = 2; i <= 5; i++) sim.seedCertificate({ id: `cert-${i}`, name: `cert_${i}` });
    const keyless = keylessClient();
    await Promise.all([1, 2, 3, 4, 5].map((i) => putValidLeaf(keyless, `cert-${i}`)));
    expect(exchanges()).toHaveLength(1);
    expect(handedOut).toHaveLength(1);
    expect(puts().filter((r) => r.status === 200)).toHaveLength(5);
  });

  it.each<[string, number, number, number]>([
    // [which expires first, ID token life, X-Auth-Token life, renewal due after]
    ['the ID token (5 min early)', 10 * MINUTE, 24 * 60 * MINUTE, 5 * MINUTE],
    ['the ID token (at most half its life early)', 6 * MINUTE, 24 * 60 * MINUTE, 3 * MINUTE],
    ['the X-Auth-Token (5 min early)', 60 * MINUTE, 20 * MINUTE, 15 * MINUTE],
  ])(
    'renews before %s, with a fresh ID token and no 401',
    async (_first, idTokenLife, iamTokenLife, renewAfter) => {
      idTokenLifetimeMs = idTokenLife;
      await start(iamTokenLife);
      const keyless = keylessClient();
      await putValidLeaf(keyless, 'cert-1');
      await clock.advance(renewAfter - 1_000);
      await putValidLeaf(keyless, 'cert-1');
      expect(exchanges()).toHaveLength(1);
      await clock.advance(2_000);
      await putValidLeaf(keyless, 'cert-1');
      expect(exchanges()).toHaveLength(2);
      expect(handedOut).toHaveLength(2);
      expect(sim.requests().filter((r) => r.status === 401)).toHaveLength(0);
    },
  );

  it('a 401 from APIG drops the token: one new exchange, the call succeeds', async () => {
    await start();
    const keyless = keylessClient();
    await putValidLeaf(keyless, 'cert-1');
    sim.expireTokens();
    await putValidLeaf(keyless, 'cert-1');
    expect(exchanges()).toHaveLength(2);
    expect(puts().map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('IAM refusing the ID token is unauthorized with IAM code; the ID token is in no message or log', async () => {
    await start();
    const { logger, lines } = captureLogger();
    const keyless = keylessClient(logger);
    idTokenLifetimeMs = -MINUTE; // already expired
    const error = await rejectionOf(putValidLeaf(keyless, 'cert-1'));
    expect(error).toMatchObject({
      kind: 'unauthorized',
      operation: 'iamToken',
      httpStatus: 401,
      errorCode: 'IAM.0101',
    });
    expect((error as Error).message).toContain('expired');
    expect(handedOut).toHaveLength(1);
    const jwt = handedOut[0]!;
    expect((error as Error).message).not.toContain(jwt);
    expect(lines.join('')).not.toContain(jwt.split('.')[2]!);
    expect(puts()).toHaveLength(0);
  });

  it('an unknown X-Idp-Id is unauthorized with IAM code', async () => {
    await start();
    client = clientFor(sim, 'token', { credentials: { ...credentials(), idpId: 'gone' }, clock });
    await expect(putValidLeaf(client, 'cert-1')).rejects.toMatchObject({
      kind: 'unauthorized',
      httpStatus: 404,
      errorCode: 'IAM.0004',
    });
  });

  it('an ID-token source that fails is unauthorized naming the source, and nothing is sent', async () => {
    await start();
    idTokenSource = () =>
      Promise.reject(new Error('HUAWEICLOUD_SDK_ID_TOKEN_FILE: cannot read "/t" (ENOENT)'));
    const keyless = keylessClient();
    const error = await rejectionOf(putValidLeaf(keyless, 'cert-1'));
    expect(error).toMatchObject({ kind: 'unauthorized', operation: 'iamToken' });
    expect((error as Error).message).toContain(
      'no ID token to exchange: HUAWEICLOUD_SDK_ID_TOKEN_FILE',
    );
    expect(sim.requests()).toHaveLength(0);
  });

  it('debug logs of a working exchange hold neither the ID token nor the X-Auth-Token', async () => {
    await start();
    const { logger, lines } = captureLogger();
    const keyless = keylessClient(logger);
    await putValidLeaf(keyless, 'cert-1');
    const text = lines.join('');
    expect(text).toContain('IAM call');
    for (const jwt of handedOut) {
      for (const part of jwt.split('.')) expect(text).not.toContain(part);
    }
    expect(text).not.toContain('MIIT'); // the simulator's X-Auth-Token prefix
  });
});
