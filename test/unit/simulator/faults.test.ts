import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator, SimulatorOptions } from '../../support/apig-simulator/index.ts';
import { issueCertificate, sharedKeyPair } from '../../support/certs.ts';
import type { IssuedCertificate } from '../../support/certs.ts';
import { eventually } from '../../support/eventually.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { errorOf, jsonOf, send } from './helpers.ts';
import type { SimResponse } from './helpers.ts';

const TOKEN = 'static-token';
let sim: ApigSimulator;
let leaf: IssuedCertificate;

beforeAll(async () => {
  leaf = await issueCertificate({ keyPair: await sharedKeyPair({ kind: 'EC' }) });
});

async function start(opts: SimulatorOptions = {}): Promise<void> {
  sim = await startApigSimulator({ staticTokens: [TOKEN], ...opts });
  sim.seedCertificate({ id: 'cert-a', name: 'cert_a' });
  sim.seedCertificate({ id: 'cert-b', name: 'cert_b' });
}

afterEach(() => sim.close());

function get(id = 'cert-a', service: 'apigw' | 'apic' = 'apigw'): Promise<SimResponse> {
  return send(sim.url, {
    path: `/v2/${sim.projectId}/${service}/certificates/${id}`,
    headers: { 'X-Auth-Token': TOKEN },
  });
}

function put(id = 'cert-a'): Promise<SimResponse> {
  return send(sim.url, {
    method: 'PUT',
    path: `/v2/${sim.projectId}/apigw/certificates/${id}`,
    headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: id.replace('-', '_'),
      cert_content: leaf.certPem,
      private_key: leaf.keyPem,
    }),
  });
}

describe('fault injection', () => {
  beforeEach(() => start());

  it.each([
    ['serverError', 500, 'APIG.9999'],
    ['throttle500', 500, 'APIG.9008'],
    ['throttle429', 429, 'APIGW.0308'],
    ['unauthorized', 401, 'APIGW.0307'],
  ] as const)('%s answers %i %s with an X-Request-Id', async (kind, status, code) => {
    sim.addFault({ fault: { kind }, times: 1 });
    const res = await get();
    expect(res.status).toBe(status);
    expect(errorOf(res).error_code).toBe(code);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.requests().at(-1)).toMatchObject({ status, errorCode: code, fault: kind });
    expect((await get()).status).toBe(200);
  });

  it('throttle429 uses APIG wording and sends Retry-After only when asked', async () => {
    sim.addFault({ fault: { kind: 'throttle429' }, times: 1 });
    sim.addFault({ fault: { kind: 'throttle429', retryAfterSeconds: 3 }, times: 1 });
    const plain = await get();
    expect(errorOf(plain).error_msg).toMatch(/policy user over ratelimit,limit:\d+,time:1 minute/);
    expect(plain.headers['retry-after']).toBeUndefined();
    expect((await get()).headers['retry-after']).toBe('3');
  });

  it('reset destroys the connection without an answer', async () => {
    sim.addFault({ fault: { kind: 'reset' }, times: 1 });
    await expect(get()).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(sim.requests().at(-1)).toMatchObject({ status: 0, fault: 'reset', applied: false });
  });

  it('malformed answers 200 with a body that is not JSON', async () => {
    sim.addFault({ fault: { kind: 'malformed' }, times: 1 });
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('application/json');
    expect(() => JSON.parse(res.text) as unknown).toThrow(SyntaxError);
  });

  it('latency delays the answer, which is otherwise normal', async () => {
    sim.addFault({ fault: { kind: 'latency', ms: 200 }, times: 1 });
    const started = performance.now();
    const res = await get();
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(res.status).toBe(200);
    expect(sim.requests().at(-1)).toMatchObject({ fault: 'latency', status: 200 });
  });

  it('latency combines with another fault', async () => {
    sim.addFault({ fault: { kind: 'latency', ms: 50 }, times: 1 });
    sim.addFault({ fault: { kind: 'serverError' }, times: 1 });
    const started = performance.now();
    expect((await get()).status).toBe(500);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('times fires on the next N matching calls only', async () => {
    sim.addFault({ fault: { kind: 'serverError' }, times: 2 });
    expect([(await get()).status, (await get()).status, (await get()).status]).toEqual([
      500, 500, 200,
    ]);
  });

  it('matches by method and certificate ID', async () => {
    sim.addFault({ fault: { kind: 'serverError' }, method: 'put', certificateId: 'cert-b' });
    expect((await get('cert-b')).status).toBe(200);
    expect((await put('cert-a')).status).toBe(200);
    expect((await put('cert-b')).status).toBe(500);
    expect((await put('cert-b')).status).toBe(500);
    sim.clearFaults();
    expect((await put('cert-b')).status).toBe(200);
  });

  it('applies to both prefixes but not to IAM unless asked', async () => {
    sim.addFault({ fault: { kind: 'serverError' } });
    expect((await get('cert-a', 'apic')).status).toBe(500);
    const iam = await send(sim.url, {
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(iam.status).toBe(400);
    sim.clearFaults();
    sim.addFault({ fault: { kind: 'reset' }, service: 'iam', times: 1 });
    await expect(
      send(sim.url, {
        method: 'POST',
        path: '/v3/auth/tokens',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      }),
    ).rejects.toThrow();
    expect((await get()).status).toBe(200);
  });

  it('is applied before authentication: a fault answers even a caller without credentials', async () => {
    sim.addFault({ fault: { kind: 'throttle500' }, times: 1 });
    const res = await send(sim.url, { path: `/v2/${sim.projectId}/apigw/certificates/cert-a` });
    expect(errorOf(res).error_code).toBe('APIG.9008');
  });

  it('after: the PUT takes effect and then the answer is lost', async () => {
    sim.addFault({ fault: { kind: 'reset' }, method: 'PUT', times: 1, after: true });
    await expect(put()).rejects.toThrow();
    expect(sim.certificate('cert-a')?.certContent).toBe(leaf.certPem);
    expect(sim.successfulPuts('cert-a')).toHaveLength(1);
    expect(sim.successfulPuts('cert-a')[0]).toMatchObject({
      status: 0,
      fault: 'reset',
      applied: true,
    });
  });

  it('holdAnswer: the PUT takes effect at once, and its answer (otherwise normal) comes later', async () => {
    sim.addFault({
      fault: { kind: 'holdAnswer', ms: 2_000 },
      method: 'PUT',
      times: 1,
      after: true,
    });
    let answered = false;
    const answer = put().finally(() => (answered = true));
    await eventually('the PUT stored', () =>
      Promise.resolve(sim.certificate('cert-a')?.certContent === leaf.certPem),
    );
    expect(answered).toBe(false);
    expect((await answer).status).toBe(200);
    expect(sim.requests().at(-1)).toMatchObject({
      fault: 'holdAnswer',
      status: 200,
      applied: true,
    });
  });

  it('a fault before the handler leaves the certificate untouched', async () => {
    sim.addFault({ fault: { kind: 'malformed' }, method: 'PUT', times: 1 });
    expect((await put()).status).toBe(200);
    expect(sim.certificate('cert-a')?.certContent).toBeUndefined();
    expect(sim.successfulPuts()).toHaveLength(0);
  });

  it('refuses nonsensical rules', () => {
    expect(() => sim.addFault({ fault: { kind: 'serverError' }, rate: 1.5 })).toThrow(RangeError);
    expect(() => sim.addFault({ fault: { kind: 'serverError' }, times: 0 })).toThrow(RangeError);
    expect(() => sim.addFault({ fault: { kind: 'holdAnswer', ms: 10 } })).toThrow(RangeError);
  });
});

describe('fault rate', () => {
  it('fires when the random draw is below the rate', async () => {
    const draws = [0.1, 0.9, 0.29, 0.3];
    await start({ random: () => draws.shift() ?? 1 });
    sim.addFault({ fault: { kind: 'serverError' }, rate: 0.3 });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await get()).status);
    expect(statuses).toEqual([500, 200, 500, 200]);
  });

  it('combines rate with times', async () => {
    await start({ random: () => 0 });
    sim.addFault({ fault: { kind: 'serverError' }, rate: 0.5, times: 1 });
    expect([(await get()).status, (await get()).status]).toEqual([500, 200]);
  });
});

describe('rate limit', () => {
  it('answers 429 APIGW.0308 beyond the per-second limit, and admits again a second later', async () => {
    const clock = new FakeClock(Date.now());
    await start({ rateLimitPerSecond: 2, now: () => clock.date() });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const throttled = await get();
    expect(throttled.status).toBe(429);
    expect(errorOf(throttled)).toEqual({
      error_code: 'APIGW.0308',
      error_msg:
        'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 second',
    });
    await clock.advance(999);
    expect((await get()).status).toBe(429);
    await clock.advance(1);
    expect((await get()).status).toBe(200);
  });

  it('authenticates before counting: an unauthenticated caller gets 401, not 429', async () => {
    const clock = new FakeClock(Date.now());
    await start({ rateLimitPerSecond: 1, now: () => clock.date() });
    expect((await get()).status).toBe(200);
    expect(
      (await send(sim.url, { path: `/v2/${sim.projectId}/apigw/certificates/cert-a` })).status,
    ).toBe(401);
  });
});

describe('request log', () => {
  beforeEach(() => start());

  it('records method, path, query, service, project, certificate, status, error code and auth', async () => {
    await get();
    await send(sim.url, {
      path: `/v2/${sim.projectId}/apic/certificates?limit=5&name=cert&instance_id=common`,
      headers: { 'X-Auth-Token': TOKEN },
    });
    await get('missing');
    const [first, second, third] = sim.requests();
    expect(first).toMatchObject({
      method: 'GET',
      path: `/v2/${sim.projectId}/apigw/certificates/cert-a`,
      query: '',
      service: 'apigw',
      projectId: sim.projectId,
      certificateId: 'cert-a',
      status: 200,
      applied: false,
      auth: 'static-token',
    });
    expect(first?.time).toBeInstanceOf(Date);
    expect(second).toMatchObject({
      service: 'apic',
      query: 'limit=5&name=cert&instance_id=common',
      status: 200,
    });
    expect(second).not.toHaveProperty('certificateId');
    expect(third).toMatchObject({ status: 404, errorCode: 'APIG.3025', certificateId: 'missing' });
  });

  it('successfulPuts counts only PUTs that stored a certificate, per certificate', async () => {
    await put('cert-a');
    await put('cert-a');
    await put('cert-b');
    await send(sim.url, {
      method: 'PUT',
      path: `/v2/${sim.projectId}/apigw/certificates/cert-a`,
      headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(sim.successfulPuts()).toHaveLength(3);
    expect(sim.successfulPuts('cert-a')).toHaveLength(2);
    expect(sim.successfulPuts('cert-b')).toHaveLength(1);
    expect(jsonOf(await get('cert-b')).common_name).toBe('app.example.com');
  });

  it('returns copies: a test cannot rewrite history', async () => {
    await get();
    const [entry] = sim.requests();
    entry!.status = 999;
    expect(sim.requests()[0]?.status).toBe(200);
  });
});
