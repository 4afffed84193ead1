import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { issueCertificate } from '../../support/certs.ts';
import type { ApigError } from '../../../src/apig/index.ts';
import {
  ApigInvalidInputError,
  ApigNotFoundError,
  ApigProtocolError,
  ApigServerError,
  ApigThrottledError,
  ApigUnauthorizedError,
} from '../../../src/apig/index.ts';
import {
  ACCESS_KEY,
  AUTH_MODES,
  USER,
  bodyFor,
  clientFor,
  credentialsFor,
  putValidLeaf,
  rejectionOf,
  shareSimulator,
  startSimulator,
  validLeaf,
} from './client-fixtures.ts';
import { MAX_THROTTLED_ATTEMPTS } from '../../../src/apig/pacer.ts';

let sim: ApigSimulator;
let seq = 0;

shareSimulator((started) => (sim = started));

/** A fresh seeded certificate id, so request counts per id are exact. */
function seeded(): string {
  const id = `cert-${++seq}`;
  sim.seedCertificate({ id, name: 'seeded_cert' });
  return id;
}

function callsFor(id: string) {
  return sim.requests().filter((r) => r.certificateId === id);
}

function iamCalls() {
  return sim.requests().filter((r) => r.service === 'iam');
}

describe('APIG rejects the input: ApigInvalidInputError', () => {
  it('APIG.2101 when the key does not match the certificate', async () => {
    const leaf = await validLeaf();
    const other = await issueCertificate({ key: { kind: 'EC' } });
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      const error = await rejectionOf(
        client.updateCertificate(
          { certificateId: id },
          { ...bodyFor(leaf), privateKey: other.keyPem },
        ),
      );
      expect(error).toBeInstanceOf(ApigInvalidInputError);
      expect(error).toMatchObject({
        kind: 'invalidInput',
        retryable: false,
        httpStatus: 400,
        errorCode: 'APIG.2101',
        certificateId: id,
        operation: 'updateCertificate',
      });
      expect((error as ApigError).requestId).toMatch(/^[0-9a-f]{32}$/);
      expect((error as ApigError).errorMessage).toBeTruthy();
      expect(callsFor(id)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('APIG.2102 for an expired certificate', async () => {
    const expired = await issueCertificate({
      key: { kind: 'EC' },
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const id = seeded();
    const client = clientFor(sim, 'token');
    try {
      const error = await rejectionOf(
        client.updateCertificate({ certificateId: id }, bodyFor(expired)),
      );
      expect(error).toBeInstanceOf(ApigInvalidInputError);
      expect(error).toMatchObject({ errorCode: 'APIG.2102' });
    } finally {
      await client.close();
    }
  });

  it('APIG.2012 for a name APIG does not accept', async () => {
    const id = seeded();
    const client = clientFor(sim, 'token');
    try {
      const error = await rejectionOf(
        client.updateCertificate({ certificateId: id }, bodyFor(await validLeaf(), '1bad')),
      );
      expect(error).toMatchObject({ kind: 'invalidInput', errorCode: 'APIG.2012' });
      expect((error as ApigError).errorMessage).toContain('parameterName:name');
    } finally {
      await client.close();
    }
  });
});

describe('ApigNotFoundError', () => {
  it('APIG.3025 for an unknown certificate', async () => {
    const client = clientFor(sim, 'aksk');
    try {
      const error = await rejectionOf(putValidLeaf(client, 'no-such-cert'));
      expect(error).toBeInstanceOf(ApigNotFoundError);
      expect(error).toMatchObject({
        kind: 'notFound',
        retryable: false,
        httpStatus: 404,
        errorCode: 'APIG.3025',
        certificateId: 'no-such-cert',
        operation: 'updateCertificate',
      });
    } finally {
      await client.close();
    }
  });
});

describe('401: one fresh credential and one more try, never more', () => {
  it.each(AUTH_MODES)('%s: one injected 401 is retried once and succeeds', async (mode) => {
    const id = seeded();
    const client = clientFor(sim, mode);
    try {
      await putValidLeaf(client, id); // warm up (IAM token issued)
      const iamBefore = iamCalls().length;
      sim.addFault({ fault: { kind: 'unauthorized' }, certificateId: id, times: 1 });
      const updated = await client.updateCertificate(
        { certificateId: id },
        bodyFor(await validLeaf()),
      );
      expect(updated.id).toBe(id);
      expect(callsFor(id).map((r) => [r.method, r.status])).toEqual([
        ['PUT', 200],
        ['PUT', 401],
        ['PUT', 200],
      ]);
      // Only the IAM token can be refreshed: AK/SK re-signs, a fixed token is sent again.
      expect(iamCalls().length - iamBefore).toBe(mode === 'iamPassword' ? 1 : 0);
    } finally {
      await client.close();
    }
  });

  it.each(AUTH_MODES)('%s: a second 401 is ApigUnauthorizedError', async (mode) => {
    const id = seeded();
    const client = clientFor(sim, mode);
    try {
      sim.addFault({ fault: { kind: 'unauthorized' }, certificateId: id, times: 5 });
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(error).toMatchObject({
        kind: 'unauthorized',
        retryable: false,
        httpStatus: 401,
        errorCode: 'APIGW.0307',
        certificateId: id,
      });
      expect(callsFor(id).map((r) => r.status)).toEqual([401, 401]);
    } finally {
      await client.close();
    }
  });

  it('a wrong SK costs exactly two failed signatures per call', async () => {
    const own = await startSimulator();
    own.seedCertificate({ id: 'c', name: 'seeded_cert' });
    const client = clientFor(own, 'aksk', {
      credentials: { kind: 'aksk', accessKey: ACCESS_KEY, secretKey: 'wrong-secret-key' },
    });
    try {
      const error = await rejectionOf(putValidLeaf(client, 'c'));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(error).toMatchObject({ errorCode: 'APIGW.0301' });
      expect(own.requests().map((r) => r.status)).toEqual([401, 401]);
      expect(own.accessKeyLockedUntil(ACCESS_KEY)).toBeUndefined();
    } finally {
      await client.close();
      await own.close();
    }
  });

  it('a wrong fixed token gives up after the second 401', async () => {
    const id = seeded();
    const client = clientFor(sim, 'token', { credentials: { kind: 'token', token: 'wrong' } });
    try {
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(callsFor(id).map((r) => r.status)).toEqual([401, 401]);
    } finally {
      await client.close();
    }
  });
});

describe('IAM failures', () => {
  it('a wrong password is ApigUnauthorizedError from IAM, and APIG is never called', async () => {
    const id = seeded();
    const base = credentialsFor('iamPassword', sim);
    const client = clientFor(sim, 'iamPassword', {
      credentials: { ...base, password: 'not-the-password' } as typeof base,
    });
    try {
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(error).toMatchObject({
        operation: 'iamToken',
        httpStatus: 401,
        errorCode: undefined,
        errorMessage: 'The username or password is wrong.',
      });
      expect(callsFor(id)).toHaveLength(0);
    } finally {
      await client.close();
    }
  });

  it('a project the user may not use is refused by IAM', async () => {
    const base = credentialsFor('iamPassword', sim);
    const client = clientFor(sim, 'iamPassword', {
      credentials: { ...base, projectName: 'eu-west-101' } as typeof base,
    });
    try {
      const error = await rejectionOf(putValidLeaf(client, seeded()));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(error).toMatchObject({ operation: 'iamToken', httpStatus: 401 });
    } finally {
      await client.close();
    }
  });

  it('an IAM server error stays a retryable server error', async () => {
    const client = clientFor(sim, 'iamPassword');
    try {
      sim.addFault({ fault: { kind: 'serverError' }, service: 'iam', times: 1 });
      const id = seeded();
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigServerError);
      expect(error).toMatchObject({ operation: 'iamToken', httpStatus: 500, retryable: true });
      await expect(putValidLeaf(client, id)).resolves.toMatchObject({ id });
    } finally {
      await client.close();
    }
  });

  it('an IAM answer without a token is a protocol error', async () => {
    const client = clientFor(sim, 'iamPassword');
    try {
      sim.addFault({ fault: { kind: 'malformed' }, service: 'iam', times: 1 });
      const error = await rejectionOf(putValidLeaf(client, seeded()));
      expect(error).toBeInstanceOf(ApigProtocolError);
      expect(error).toMatchObject({ operation: 'iamToken', httpStatus: 200 });
    } finally {
      await client.close();
    }
  });

  it.each([
    ['user name', { username: USER.name.toUpperCase() }],
    ['domain name', { domainName: 'other-account' }],
  ])('refuses a wrong %s', async (_what, change) => {
    const base = credentialsFor('iamPassword', sim);
    const client = clientFor(sim, 'iamPassword', {
      credentials: { ...base, ...change } as typeof base,
    });
    try {
      await expect(putValidLeaf(client, seeded())).rejects.toBeInstanceOf(ApigUnauthorizedError);
    } finally {
      await client.close();
    }
  });
});

describe('throttling: sent again by the pacer, then ApigThrottledError', () => {
  it('a 429 is sent again, and APIG ends up holding the certificate', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'throttle429' }, times: 1 });
      await expect(putValidLeaf(client, id)).resolves.toMatchObject({ id });
      expect(callsFor(id).map((r) => r.status)).toEqual([429, 200]);
      expect(sim.certificate(id)?.certContent).toBe((await validLeaf()).chainPem);
    } finally {
      await client.close();
    }
  });

  it("honours APIG's Retry-After before sending it again", async () => {
    const id = seeded();
    const client = clientFor(sim, 'token');
    try {
      sim.addFault({ fault: { kind: 'throttle429', retryAfterSeconds: 1 }, times: 1 });
      await putValidLeaf(client, id);
      const [throttled, accepted] = callsFor(id);
      expect([throttled?.status, accepted?.status]).toEqual([429, 200]);
      expect(accepted!.time.getTime() - throttled!.time.getTime()).toBeGreaterThanOrEqual(1_000);
    } finally {
      await client.close();
    }
  });

  it(`gives up after ${MAX_THROTTLED_ATTEMPTS} 429s in a row, with APIG's details`, async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'throttle429' }, times: MAX_THROTTLED_ATTEMPTS });
      const error = (await rejectionOf(putValidLeaf(client, id))) as ApigThrottledError;
      expect(error).toBeInstanceOf(ApigThrottledError);
      expect(error).toMatchObject({
        kind: 'throttled',
        retryable: true,
        httpStatus: 429,
        errorCode: 'APIGW.0308',
      });
      // No Retry-After: the work queue waits Huawei's suggested 2-5 s.
      expect(error.retryAfterMs).toBeGreaterThanOrEqual(2_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(5_000);
      expect(callsFor(id)).toHaveLength(MAX_THROTTLED_ATTEMPTS);
    } finally {
      await client.close();
    }
  });

  it('a Retry-After beyond what the pacer waits is thrown at once', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'throttle429', retryAfterSeconds: 120 }, times: 1 });
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigThrottledError);
      expect(error).toMatchObject({ retryAfterMs: 120_000, serverRetryAfterMs: 120_000 });
      expect(callsFor(id)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('500 APIG.9008 is throttling too', async () => {
    const id = seeded();
    const client = clientFor(sim, 'token');
    try {
      sim.addFault({ fault: { kind: 'throttle500' }, times: MAX_THROTTLED_ATTEMPTS });
      const error = await rejectionOf(
        client.updateCertificate({ certificateId: id }, bodyFor(await validLeaf())),
      );
      expect(error).toBeInstanceOf(ApigThrottledError);
      expect(error).toMatchObject({ httpStatus: 500, errorCode: 'APIG.9008' });
      expect(callsFor(id)).toHaveLength(MAX_THROTTLED_ATTEMPTS);
    } finally {
      await client.close();
    }
  });

  it("the simulator's own rate limit: every PUT gets through, some after a 429", async () => {
    const limited = await startSimulator({ rateLimitPerSecond: 2 });
    const client = clientFor(limited, 'token', { rateLimit: { requestsPerSecond: 3, burst: 3 } });
    try {
      const ids = [0, 1, 2].map((i) => `limited-${i}`);
      for (const id of ids) limited.seedCertificate({ id, name: 'seeded_cert' });
      await Promise.all(ids.map((id) => putValidLeaf(client, id)));
      const statuses = limited.requests().map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(3);
      expect(statuses).toContain(429);
      // What /metrics shows: every 429 APIG answered, also those sent again.
      expect(client.pacing().throttled).toBe(statuses.filter((s) => s === 429).length);
    } finally {
      await client.close();
      await limited.close();
    }
  });
});

describe('ApigServerError: 5xx and failures below HTTP', () => {
  it('500 APIG.9999', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'serverError' }, times: 1 });
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigServerError);
      expect(error).toMatchObject({
        kind: 'server',
        retryable: true,
        httpStatus: 500,
        errorCode: 'APIG.9999',
      });
      expect(callsFor(id)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a connection reset', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'reset' }, times: 1 });
      const error = await rejectionOf(
        client.updateCertificate({ certificateId: id }, bodyFor(await validLeaf())),
      );
      expect(error).toBeInstanceOf(ApigServerError);
      expect(error).toMatchObject({ httpStatus: undefined, retryable: true });
      expect((error as ApigError).errorCode).toMatch(/^(UND_ERR_SOCKET|ECONNRESET)$/);
      expect(callsFor(id)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a PUT applied whose answer is lost is still an error (the controller reads back)', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'reset' }, method: 'PUT', after: true, times: 1 });
      await expect(
        client.updateCertificate({ certificateId: id }, bodyFor(await validLeaf())),
      ).rejects.toBeInstanceOf(ApigServerError);
      expect(sim.successfulPuts(id)).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it('a response slower than the headers timeout', async () => {
    const id = seeded();
    const client = clientFor(sim, 'token', { timeoutMs: 100 });
    try {
      sim.addFault({ fault: { kind: 'latency', ms: 1_000 }, times: 1 });
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigServerError);
      expect(error).toMatchObject({ errorCode: 'UND_ERR_HEADERS_TIMEOUT' });
    } finally {
      await client.close();
    }
  });

  it('nobody listening', async () => {
    const gone = await startSimulator();
    const url = gone.url;
    await gone.close();
    const client = clientFor(sim, 'token', { endpoint: url });
    try {
      const error = await rejectionOf(putValidLeaf(client, 'c'));
      expect(error).toBeInstanceOf(ApigServerError);
      expect(error).toMatchObject({ errorCode: 'ECONNREFUSED' });
    } finally {
      await client.close();
    }
  });

  it('an unknown API path answers 404 APIGW.0101 (wrong endpoint prefix)', async () => {
    const client = clientFor(sim, 'token', { endpoint: `${sim.url}/some/prefix` });
    try {
      const error = await rejectionOf(putValidLeaf(client, seeded()));
      expect(error).toBeInstanceOf(ApigNotFoundError);
      expect(error).toMatchObject({ errorCode: 'APIGW.0101' });
    } finally {
      await client.close();
    }
  });
});

describe('ApigProtocolError', () => {
  it('a 200 whose body is not JSON', async () => {
    const id = seeded();
    const client = clientFor(sim, 'aksk');
    try {
      sim.addFault({ fault: { kind: 'malformed' }, times: 1 });
      const error = await rejectionOf(putValidLeaf(client, id));
      expect(error).toBeInstanceOf(ApigProtocolError);
      expect(error).toMatchObject({
        kind: 'protocol',
        httpStatus: 200,
        certificateId: id,
        operation: 'updateCertificate',
      });
      expect((error as Error).message).toContain('success answer is not JSON');
    } finally {
      await client.close();
    }
  });
});
