import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { errorOf, jsonOf, send, signRequest } from './helpers.ts';
import type { SimResponse } from './helpers.ts';

const AK = 'QTWAOYTTINDUT2QVKYUC';
const SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';
const TEMP_AK = 'TEMPAKEXAMPLE0000001';
const TEMP_SK = 'temporary-secret';
const SECURITY_TOKEN = 'gQpjbi1ub3J0aC00security';
const OTHER_PROJECT = '0ab2ef0c3a00d4c52f91c019e8b0a1f2';
const USER = { domain: 'acme', name: 'deployer', password: 'Pa55-word!', project: 'cn-north-4' };

let sim: ApigSimulator;
let clock: FakeClock;

beforeEach(async () => {
  clock = new FakeClock(Date.now());
  sim = await startApigSimulator({
    accessKeys: [
      { ak: AK, sk: SK },
      { ak: TEMP_AK, sk: TEMP_SK, securityToken: SECURITY_TOKEN },
    ],
    users: [USER],
    staticTokens: ['static-token-value'],
    tokenLifetimeMs: 60 * 60_000,
    now: () => clock.date(),
  });
  sim.seedCertificate({ id: 'cert-1', name: 'cert_one' });
});

afterEach(() => sim.close());

function host(): string {
  return new URL(sim.url).host;
}

function certPath(service: 'apigw' | 'apic' = 'apigw', project = sim.projectId): string {
  return `/v2/${project}/${service}/certificates/cert-1`;
}

interface SignedCall {
  method?: string;
  path?: string;
  query?: [string, string][];
  body?: string;
  ak?: string;
  sk?: string;
  date?: Date;
  extraSigned?: Record<string, string>;
  unsigned?: Record<string, string>;
  /** Replace the body after signing. */
  sentBody?: string;
}

function signedCall(call: SignedCall = {}): Promise<SimResponse> {
  const method = call.method ?? 'GET';
  const signed = signRequest({
    method,
    path: call.path ?? certPath(),
    ...(call.query ? { query: call.query } : {}),
    headers: {
      Host: host(),
      'Content-Type': 'application/json;charset=UTF-8',
      ...call.extraSigned,
    },
    ...(call.body !== undefined ? { body: call.body } : {}),
    ak: call.ak ?? AK,
    sk: call.sk ?? SK,
    date: call.date ?? clock.date(),
    ...(call.unsigned ? { unsignedHeaders: call.unsigned } : {}),
  });
  return send(sim.url, {
    method,
    path: signed.path,
    headers: signed.headers,
    body: call.sentBody ?? call.body ?? '',
  });
}

async function issueToken(
  overrides: Record<string, unknown> = {},
  query = '?nocatalog=true',
): Promise<SimResponse> {
  const body = {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: USER.name, password: USER.password, domain: { name: USER.domain } },
        },
      },
      scope: { project: { name: 'cn-north-4' } },
      ...overrides,
    },
  };
  return send(sim.url, {
    method: 'POST',
    path: `/v3/auth/tokens${query}`,
    headers: { 'Content-Type': 'application/json;charset=UTF-8' },
    body: JSON.stringify(body),
  });
}

async function token(): Promise<string> {
  const res = await issueToken();
  expect(res.status).toBe(201);
  return res.headers['x-subject-token'] as string;
}

function withToken(value: string, path = certPath()): Promise<SimResponse> {
  return send(sim.url, { path, headers: { 'X-Auth-Token': value } });
}

describe('AK/SK signed calls', () => {
  it.each(['apigw', 'apic'] as const)(
    'accepts a correct signature on the %s prefix',
    async (service) => {
      const res = await signedCall({ path: certPath(service) });
      expect(res.status).toBe(200);
      expect(jsonOf(res).id).toBe('cert-1');
      expect(sim.requests().at(-1)).toMatchObject({ service, auth: 'aksk', status: 200 });
    },
  );

  it('accepts a signed PUT whose body hash covers the exact bytes, and a query string', async () => {
    const list = await signedCall({
      path: `/v2/${sim.projectId}/apigw/certificates`,
      query: [
        ['name', 'cert one'],
        ['limit', '5'],
      ],
    });
    expect(list.status).toBe(200);
    const body = '{"name": "x"}';
    const put = await signedCall({ method: 'PUT', body });
    expect(errorOf(put).error_code).toBe('APIG.2001'); // authenticated, then the body is judged
  });

  it('rejects a body that differs from the one signed', async () => {
    const res = await signedCall({ method: 'PUT', body: '{"name":"a"}', sentBody: '{"name":"b"}' });
    expect(res.status).toBe(401);
    expect(errorOf(res)).toEqual({
      error_code: 'APIGW.0301',
      error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
    });
  });

  it.each([
    ['a wrong secret key', { sk: 'wrong' }, 'verify aksk signature fail'],
    ['an unknown access key', { ak: 'UNKNOWNAK' }, 'access key not found'],
    [
      'a date 16 minutes late',
      { date: new Date(Date.now() - 16 * 60_000) },
      'more than 15 minutes',
    ],
    [
      'a date 16 minutes early',
      { date: new Date(Date.now() + 16 * 60_000) },
      'more than 15 minutes',
    ],
    [
      'an unexpected security token',
      { unsigned: { 'X-Security-Token': 'x' } },
      'invalid security token',
    ],
  ])('rejects %s with 401 APIGW.0301', async (_label, call: SignedCall, message) => {
    const res = await signedCall(call);
    expect(res.status).toBe(401);
    expect(errorOf(res).error_code).toBe('APIGW.0301');
    expect(errorOf(res).error_msg).toContain(message);
  });

  it('accepts a date 14 minutes away in either direction', async () => {
    expect((await signedCall({ date: new Date(clock.now() - 14 * 60_000) })).status).toBe(200);
    expect((await signedCall({ date: new Date(clock.now() + 14 * 60_000) })).status).toBe(200);
  });

  it('rejects a signature that leaves x-sdk-date unsigned', async () => {
    const signed = signRequest({
      method: 'GET',
      path: certPath(),
      headers: { Host: host() },
      ak: AK,
      sk: SK,
      date: clock.date(),
    });
    const authorization = signed.headers.Authorization!.replace(
      'SignedHeaders=host;x-sdk-date',
      'SignedHeaders=host',
    );
    const res = await send(sim.url, {
      path: signed.path,
      headers: { ...signed.headers, Authorization: authorization },
    });
    expect(errorOf(res).error_msg).toContain('x-sdk-date must be a signed header');
  });

  it('needs the security token of a temporary key, signed or not', async () => {
    const missing = await signedCall({ ak: TEMP_AK, sk: TEMP_SK });
    expect(errorOf(missing).error_msg).toContain('invalid security token');
    const unsigned = await signedCall({
      ak: TEMP_AK,
      sk: TEMP_SK,
      unsigned: { 'X-Security-Token': SECURITY_TOKEN },
    });
    expect(unsigned.status).toBe(200);
    const signed = await signedCall({
      ak: TEMP_AK,
      sk: TEMP_SK,
      extraSigned: { 'X-Security-Token': SECURITY_TOKEN },
    });
    expect(signed.status).toBe(200);
  });

  it('rejects an unsupported Authorization scheme and a malformed one', async () => {
    const bearer = await send(sim.url, {
      path: certPath(),
      headers: { Authorization: 'Bearer abc' },
    });
    expect(errorOf(bearer).error_code).toBe('APIGW.0301');
    const malformed = await send(sim.url, {
      path: certPath(),
      headers: { Authorization: 'SDK-HMAC-SHA256 nonsense' },
    });
    expect(errorOf(malformed).error_msg).toContain('malformed Authorization header');
  });

  it('locks the AK for 5 minutes after 5 failed signatures in a row', async () => {
    for (let i = 0; i < 5; i += 1) {
      const res = await signedCall({ sk: 'wrong' });
      expect(errorOf(res).error_msg).toContain('verify aksk signature fail');
    }
    const lockedUntil = sim.accessKeyLockedUntil(AK);
    expect(lockedUntil).toEqual(new Date(clock.now() + 5 * 60_000));

    const whileLocked = await signedCall();
    expect(whileLocked.status).toBe(401);
    expect(errorOf(whileLocked)).toMatchObject({ error_code: 'APIGW.0301' });
    expect(errorOf(whileLocked).error_msg).toContain('access key locked');

    await clock.advance(5 * 60_000 - 1000);
    expect((await signedCall()).status).toBe(401);
    await clock.advance(1000);
    expect(sim.accessKeyLockedUntil(AK)).toBeUndefined();
    expect((await signedCall()).status).toBe(200);
  });

  it('counts only consecutive failures: a success resets the count', async () => {
    for (let i = 0; i < 4; i += 1) await signedCall({ sk: 'wrong' });
    expect((await signedCall()).status).toBe(200);
    for (let i = 0; i < 4; i += 1) await signedCall({ sk: 'wrong' });
    expect(sim.accessKeyLockedUntil(AK)).toBeUndefined();
    expect((await signedCall()).status).toBe(200);
  });

  it('locks one AK without affecting another', async () => {
    for (let i = 0; i < 5; i += 1) await signedCall({ sk: 'wrong' });
    expect(
      (
        await signedCall({
          ak: TEMP_AK,
          sk: TEMP_SK,
          unsigned: { 'X-Security-Token': SECURITY_TOKEN },
        })
      ).status,
    ).toBe(200);
  });
});

describe('IAM password tokens', () => {
  it('issues a project-scoped token: 201, X-Subject-Token, expires_at after the configured lifetime', async () => {
    const res = await issueToken();
    expect(res.status).toBe(201);
    expect(res.headers['x-subject-token']).toMatch(/^MII[A-Za-z0-9+/]{200,}$/);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const body = jsonOf<{ token: Record<string, unknown> }>(res);
    expect(body.token).toMatchObject({
      expires_at: new Date(clock.now() + 60 * 60_000).toISOString().replace('Z', '000Z'),
      methods: ['password'],
      project: { id: sim.projectId, name: 'cn-north-4', domain: { name: 'acme' } },
      user: { name: 'deployer', domain: { name: 'acme' } },
    });
    expect(body.token).not.toHaveProperty('catalog');
    expect(sim.requests().at(-1)).toMatchObject({ service: 'iam', method: 'POST', status: 201 });
  });

  it('includes a catalog unless nocatalog=true', async () => {
    const body = jsonOf<{ token: Record<string, unknown> }>(await issueToken({}, ''));
    expect(body.token.catalog).toEqual([]);
  });

  it.each([
    ['a wrong password', { password: 'nope' }],
    ['an unknown user', { name: 'someone' }],
    ['the wrong account', { domain: { name: 'other' } }],
  ])('answers 401 to %s as IAM does', async (_label, user) => {
    const res = await issueToken({
      identity: {
        methods: ['password'],
        password: {
          user: {
            name: USER.name,
            password: USER.password,
            domain: { name: USER.domain },
            ...user,
          },
        },
      },
    });
    expect(res.status).toBe(401);
    expect(jsonOf(res)).toEqual({
      error: { code: 401, title: 'Unauthorized', message: 'The username or password is wrong.' },
    });
  });

  it('refuses a scope the user has no access to', async () => {
    const res = await issueToken({ scope: { project: { name: 'ap-southeast-1' } } });
    expect(res.status).toBe(401);
  });

  it('answers 400 to a body without the password method', async () => {
    const res = await issueToken({ identity: { methods: ['token'] } });
    expect(res.status).toBe(400);
    expect(jsonOf<{ error: { code: number } }>(res).error.code).toBe(400);
  });

  it('accepts the token on both prefixes until it expires, then answers APIG.1001', async () => {
    const value = await token();
    expect((await withToken(value, certPath('apigw'))).status).toBe(200);
    expect((await withToken(value, certPath('apic'))).status).toBe(200);
    expect(sim.requests().at(-1)?.auth).toBe('token');

    await clock.advance(60 * 60_000);
    const expired = await withToken(value);
    expect(expired.status).toBe(401);
    expect(errorOf(expired).error_code).toBe('APIG.1001');
    expect(errorOf(expired).error_msg).toContain('token expires, expires_at:');
  });

  it('expireTokens() invalidates every issued token with APIGW.0307, and a new token works', async () => {
    const first = await token();
    const second = await token();
    sim.expireTokens();
    for (const value of [first, second]) {
      const res = await withToken(value);
      expect(res.status).toBe(401);
      expect(errorOf(res)).toEqual({
        error_code: 'APIGW.0307',
        error_msg: 'The token must be updated',
      });
    }
    expect((await withToken(await token())).status).toBe(200);
  });

  it('answers APIG.1002 to a token it never issued', async () => {
    const res = await withToken('MIIforged');
    expect(res.status).toBe(401);
    expect(errorOf(res).error_code).toBe('APIG.1002');
  });

  it('refuses an unscoped token with APIG.1003', async () => {
    const res = await issueToken({ scope: undefined });
    expect(res.status).toBe(201);
    const call = await withToken(res.headers['x-subject-token'] as string);
    expect(errorOf(call).error_code).toBe('APIG.1003');
  });
});

describe('missing credentials, static tokens and projects', () => {
  it('answers APIG.1000 without any credentials', async () => {
    const res = await send(sim.url, { path: certPath() });
    expect(res.status).toBe(401);
    expect(errorOf(res).error_code).toBe('APIG.1000');
  });

  it('accepts a static token', async () => {
    const res = await withToken('static-token-value');
    expect(res.status).toBe(200);
    expect(sim.requests().at(-1)?.auth).toBe('static-token');
  });

  it('answers 401 APIG.1003 for a project it does not know, whatever the credentials', async () => {
    const unknown = certPath('apigw', 'ffffffffffffffffffffffffffffffff');
    expect(errorOf(await withToken('static-token-value', unknown)).error_code).toBe('APIG.1003');
    expect(errorOf(await withToken(await token(), unknown)).error_code).toBe('APIG.1003');
    expect(errorOf(await signedCall({ path: unknown })).error_code).toBe('APIG.1003');
  });

  it('answers APIG.1003 when X-Project-Id contradicts the URL', async () => {
    const res = await signedCall({ extraSigned: { 'X-Project-Id': OTHER_PROJECT } });
    expect(errorOf(res).error_code).toBe('APIG.1003');
    const matching = await signedCall({ extraSigned: { 'X-Project-Id': sim.projectId } });
    expect(matching.status).toBe(200);
  });
});

describe('projects', () => {
  it('scopes tokens to the project named, and a token of one project is refused on another', async () => {
    const other = await startApigSimulator({
      projects: ['p-one', 'p-two'],
      projectNames: { 'region-one': 'p-one', 'region-two': 'p-two' },
      users: [{ ...USER, project: 'region-two' }],
    });
    try {
      other.seedCertificate({ id: 'c', name: 'cert_c', projectId: 'p-two' });
      const res = await send(other.url, {
        method: 'POST',
        path: '/v3/auth/tokens',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: { name: USER.name, password: USER.password, domain: { name: USER.domain } },
              },
            },
            scope: { project: { name: 'region-two' } },
          },
        }),
      });
      expect(jsonOf<{ token: { project: { id: string } } }>(res).token.project.id).toBe('p-two');
      const value = res.headers['x-subject-token'] as string;
      const ok = await send(other.url, {
        path: '/v2/p-two/apigw/certificates/c',
        headers: { 'X-Auth-Token': value },
      });
      expect(ok.status).toBe(200);
      const wrong = await send(other.url, {
        path: '/v2/p-one/apigw/certificates/c',
        headers: { 'X-Auth-Token': value },
      });
      expect(errorOf(wrong).error_code).toBe('APIG.1003');
    } finally {
      await other.close();
    }
  });
});

describe('the request log names the caller, accepted or refused, never its secret', () => {
  it.each<[string, () => Promise<unknown>, number, unknown]>([
    // [case, request, HTTP status, caller]
    ['a signed call', () => signedCall(), 200, { kind: 'accessKey', accessKey: AK }],
    [
      'a signed call with the wrong SK',
      () => signedCall({ sk: 'not-the-secret' }),
      401,
      { kind: 'accessKey', accessKey: AK },
    ],
    [
      'a signature by an AK the simulator does not know',
      () => signedCall({ ak: 'AKNOBODYKNOWS', sk: SK }),
      401,
      { kind: 'accessKey', accessKey: 'AKNOBODYKNOWS' },
    ],
    [
      'a password-token request',
      () => issueToken(),
      201,
      { kind: 'password', domain: USER.domain, user: USER.name },
    ],
    [
      'a password-token request with the wrong password',
      () =>
        issueToken({
          identity: {
            methods: ['password'],
            password: {
              user: { name: USER.name, password: 'wrong', domain: { name: USER.domain } },
            },
          },
        }),
      401,
      { kind: 'password', domain: USER.domain, user: USER.name },
    ],
    [
      'a call with the password user’s X-Auth-Token',
      async () => withToken(await token()),
      200,
      { kind: 'password', domain: USER.domain, user: USER.name },
    ],
    [
      'a call with that token, for a project it is not scoped to',
      async () => withToken(await token(), certPath('apigw', OTHER_PROJECT)),
      401,
      { kind: 'password', domain: USER.domain, user: USER.name },
    ],
    ['a static token', () => withToken('static-token-value'), 200, { kind: 'staticToken' }],
    ['a token nobody issued', () => withToken('MIITforged'), 401, undefined],
    ['no credentials', () => send(sim.url, { path: certPath() }), 401, undefined],
  ])('%s', async (_case, call, status, caller) => {
    await call();
    const entry = sim.requests().at(-1)!;
    expect(entry.status).toBe(status);
    expect(entry.caller).toEqual(caller);
    expect(JSON.stringify(entry)).not.toMatch(new RegExp(`${SK}|${USER.password}|MIIT`));
  });
});

describe('a password changed in the console', () => {
  it('refuses the old password from then on, takes the new one, and leaves issued tokens valid', async () => {
    const before = await token();
    sim.changePassword(USER.domain, USER.name, 'N3w-pa55word');
    const old = await issueToken();
    expect(old.status).toBe(401);
    const renewed = await issueToken({
      identity: {
        methods: ['password'],
        password: {
          user: { name: USER.name, password: 'N3w-pa55word', domain: { name: USER.domain } },
        },
      },
    });
    expect(renewed.status).toBe(201);
    expect((await withToken(before)).status).toBe(200);
  });

  it('an unknown user is a test mistake, not a silent no-op', () => {
    expect(() => sim.changePassword(USER.domain, 'nobody', 'x')).toThrow('no IAM user');
  });
});
