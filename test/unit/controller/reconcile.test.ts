import {
  ApigInvalidInputError,
  ApigServerError,
  ApigThrottledError,
  ApigUnauthorizedError,
  type ApigCertificate,
  type CertificateBody,
  type CertificateTarget,
} from '../../../src/apig/index.ts';
import type { ApigCertificateResource } from '../../../src/api/v1alpha1.ts';
import {
  reconcile,
  UNAUTHORIZED_RETRY_MS,
  type ApigUpdater,
  type ReconcileInput,
} from '../../../src/controller/reconcile.ts';
import { issueCertificate, sharedKeyPair, tlsSecretData } from '../../support/certs.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const DAY = 86_400_000;

/** Records PUTs and answers like APIG would, or with the error it is given. */
class RecordingApig implements ApigUpdater {
  puts: { target: CertificateTarget; body: CertificateBody; signal?: AbortSignal }[] = [];
  failWith: Error | undefined;
  /** Runs inside the call, before it answers (e.g. to abort while it is in flight). */
  during: (() => void) | undefined;

  updateCertificate(
    target: CertificateTarget,
    body: CertificateBody,
    signal?: AbortSignal,
  ): Promise<ApigCertificate> {
    this.puts.push({ target, body, ...(signal ? { signal } : {}) });
    this.during?.();
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve({
      id: target.certificateId,
      name: body.name,
      type: body.type ?? 'global',
      instanceId: body.instanceId ?? 'common',
      projectId: target.projectId ?? '',
      commonName: 'app.example.com',
      san: ['app.example.com'],
      notAfter: '2027-02-26T12:00:00Z',
      notBefore: '2026-11-28T11:00:00Z',
      serialNumber: String(this.puts.length),
      signatureAlgorithm: 'SHA256-RSA',
      algorithmType: body.algorithmType ?? 'RSA',
      issuer: ['app.example.com'],
    } as ApigCertificate);
  }
}

async function tlsSecret(opts: { notBefore?: Date; notAfter?: Date; serial?: string } = {}) {
  const issued = await issueCertificate({
    keyPair: await sharedKeyPair({ kind: 'EC' }),
    key: { kind: 'EC' },
    notBefore: opts.notBefore ?? new Date(NOW.getTime() - DAY),
    notAfter: opts.notAfter ?? new Date(NOW.getTime() + 90 * DAY),
    ...(opts.serial ? { serialNumber: opts.serial } : {}),
  });
  return { type: 'kubernetes.io/tls', data: tlsSecretData(issued) };
}

function resource(
  overrides: Partial<ApigCertificateResource['spec']> = {},
): ApigCertificateResource {
  return {
    metadata: { name: 'shop', namespace: 'web', generation: 1 },
    spec: {
      certificateId: 'cert-1',
      name: 'shop_cert',
      secretRef: { name: 'shop-tls' },
      ...overrides,
    },
  };
}

async function input(overrides: Partial<ReconcileInput> = {}): Promise<ReconcileInput> {
  return {
    resource: resource(),
    secret: { found: true, value: await tlsSecret() },
    apig: { endpoint: 'https://apig.example', service: 'apig', defaultProjectId: 'proj-1' },
    now: NOW,
    retryRefusedAfterMs: 10 * 3_600_000,
    ...overrides,
  };
}

/** Runs reconcile, then again with the status it produced, as the controller would. */
async function twice(first: ReconcileInput, apig: ApigUpdater) {
  const one = await reconcile(first, apig);
  const two = await reconcile(
    { ...first, resource: { ...first.resource, status: one.status } },
    apig,
  );
  return { one, two };
}

describe('reconcile', () => {
  it('sends a new certificate once and records what APIG answered', async () => {
    const apig = new RecordingApig();
    const { one, two } = await twice(await input(), apig);
    expect(apig.puts).toHaveLength(1);
    expect(apig.puts[0]!.target).toEqual({ certificateId: 'cert-1', projectId: 'proj-1' });
    expect(apig.puts[0]!.body).toMatchObject({
      name: 'shop_cert',
      type: 'global',
      algorithmType: 'ECC',
    });
    expect(apig.puts[0]!.body.instanceId).toBeUndefined();
    expect(one.result).toBe('synced');
    expect(one.status).toMatchObject({
      observedGeneration: 1,
      serialNumber: '1',
      notAfter: '2027-02-26T12:00:00Z',
      lastSyncTime: NOW.toISOString(),
      conditions: [{ type: 'Ready', status: 'True', reason: 'Synced', observedGeneration: 1 }],
    });
    expect(one.status.syncedHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(one.event).toMatchObject({ type: 'Normal', reason: 'Synced' });
    expect(two.result).toBe('unchanged');
    expect(two.status).toEqual(one.status);
    expect(two.event).toBeUndefined();
  });

  it('sends again when the Secret holds a new certificate (rotation)', async () => {
    const apig = new RecordingApig();
    const first = await input();
    const { status } = await reconcile(first, apig);
    const rotated = await reconcile(
      {
        ...first,
        resource: { ...first.resource, status },
        secret: { found: true, value: await tlsSecret() },
      },
      apig,
    );
    expect(rotated.result).toBe('synced');
    expect(apig.puts).toHaveLength(2);
    expect(rotated.status.syncedHash).not.toBe(status.syncedHash);
  });

  it.each<[string, Partial<ApigCertificateResource['spec']>]>([
    ['the certificate ID', { certificateId: 'cert-2' }],
    ['the name', { name: 'other_cert' }],
    ['the project', { projectId: 'proj-2' }],
  ])('sends again when %s changes', async (_what, change) => {
    const apig = new RecordingApig();
    const first = await input();
    const { status } = await reconcile(first, apig);
    const changed = resource(change);
    await reconcile(
      {
        ...first,
        resource: { ...changed, metadata: { ...changed.metadata, generation: 2 }, status },
      },
      apig,
    );
    expect(apig.puts).toHaveLength(2);
  });

  it.each<[string, () => Partial<ReconcileInput> | Promise<Partial<ReconcileInput>>, string]>([
    [
      'the Secret is missing',
      () => ({ secret: { found: false, what: 'Secret web/shop-tls not found' } }),
      'SecretNotFound',
    ],
    [
      'the certificate expired',
      async () => ({
        secret: {
          found: true,
          value: await tlsSecret({
            notBefore: new Date(NOW.getTime() - 90 * DAY),
            notAfter: new Date(NOW.getTime() - DAY),
          }),
        },
      }),
      'CertificateExpired',
    ],
    [
      'the Secret is not TLS',
      () => ({ secret: { found: true, value: { type: 'Opaque', data: {} } } }),
      'SecretTypeInvalid',
    ],
    [
      'no project is known',
      () => ({ apig: { endpoint: 'https://apig.example', service: 'apig' as const } }),
      'ProjectIdMissing',
    ],
    [
      'the signing Secret is missing',
      () => ({
        resource: resource({ algorithmType: 'SM2', signSecretRef: { name: 'sign' } }),
        signSecret: { found: false, what: 'Secret web/sign not found' },
      }),
      'SignSecretNotFound',
    ],
  ])('sends nothing when %s', async (_case, change, reason) => {
    const apig = new RecordingApig();
    const { one, two } = await twice({ ...(await input()), ...(await change()) }, apig);
    expect(apig.puts).toHaveLength(0);
    expect(one.result).toBe('invalid');
    expect(one.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'False', reason }),
    ]);
    expect(one.status.lastError).toMatchObject({ code: reason, time: NOW.toISOString() });
    expect(one.event).toMatchObject({ type: 'Warning', reason });
    // A second pass over the same input leaves status exactly as it was.
    expect(two.status).toEqual(one.status);
  });

  it('waits for a certificate that is not yet valid', async () => {
    const notBefore = new Date(NOW.getTime() + 3_600_000);
    const outcome = await reconcile(
      { ...(await input()), secret: { found: true, value: await tlsSecret({ notBefore }) } },
      new RecordingApig(),
    );
    expect(outcome.status.conditions?.[0]?.reason).toBe('CertificateNotYetValid');
    expect(outcome.requeueAfterMs).toBe(3_600_000);
  });

  it('does not resend content APIG refused, until the spec changes or the resync period passes', async () => {
    const apig = new RecordingApig();
    apig.failWith = new ApigInvalidInputError('certificate refused', {
      operation: 'updateCertificate',
      certificateId: 'cert-1',
      httpStatus: 400,
      errorCode: 'APIG.2109',
      errorMessage: 'certificate has no SAN',
      requestId: 'req-1',
    });
    const first = await input();
    const { one, two } = await twice(first, apig);
    expect(apig.puts).toHaveLength(1);
    expect(one.result).toBe('refused');
    expect(one.error).toBeUndefined();
    expect(one.requeueAfterMs).toBeUndefined();
    expect(one.status.lastError).toMatchObject({
      code: 'APIG.2109',
      httpStatus: 400,
      requestId: 'req-1',
    });
    expect(one.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ApigRejected' });
    expect(two.result).toBe('refused');

    const edited = {
      ...first.resource,
      metadata: { ...first.resource.metadata, generation: 2 },
      status: one.status,
    };
    await reconcile({ ...first, resource: edited }, apig);
    expect(apig.puts).toHaveLength(2);

    const later = new Date(NOW.getTime() + 11 * 3_600_000);
    await reconcile(
      { ...first, now: later, resource: { ...first.resource, status: one.status } },
      apig,
    );
    expect(apig.puts).toHaveLength(3);
  });

  it.each<[string, Error, Partial<{ requeueAfterMs: number; retry: boolean; reason: string }>]>([
    [
      'throttling',
      new ApigThrottledError('throttled', {
        operation: 'updateCertificate',
        httpStatus: 429,
        errorCode: 'APIGW.0308',
        retryAfterMs: 3_000,
      }),
      { requeueAfterMs: 3_000, reason: 'ApigThrottled' },
    ],
    [
      'a server error',
      new ApigServerError('system error', {
        operation: 'updateCertificate',
        httpStatus: 500,
        errorCode: 'APIG.9999',
      }),
      { retry: true, reason: 'ApigUnavailable' },
    ],
    [
      'credentials refused twice',
      new ApigUnauthorizedError('unauthorized', {
        operation: 'updateCertificate',
        httpStatus: 401,
        errorCode: 'APIGW.0301',
      }),
      { requeueAfterMs: UNAUTHORIZED_RETRY_MS, reason: 'ApigUnauthorized' },
    ],
  ])('retries later after %s, and tries again on the next pass', async (_case, error, expected) => {
    const apig = new RecordingApig();
    apig.failWith = error;
    const { one } = await twice(await input(), apig);
    expect(apig.puts).toHaveLength(2);
    expect(one.result).toBe('apig_error');
    expect(one.status.conditions?.[0]).toMatchObject({ status: 'False', reason: expected.reason });
    expect(one.requeueAfterMs).toBe(expected.requeueAfterMs);
    expect(one.error !== undefined).toBe(expected.retry === true);
  });

  it('clears lastError after a success, and moves lastTransitionTime only when Ready flips', async () => {
    const apig = new RecordingApig();
    apig.failWith = new ApigServerError('down', {
      operation: 'updateCertificate',
      httpStatus: 503,
    });
    const first = await input();
    const failed = await reconcile(first, apig);
    apig.failWith = undefined;
    const later = new Date(NOW.getTime() + 60_000);
    const recovered = await reconcile(
      { ...first, now: later, resource: { ...first.resource, status: failed.status } },
      apig,
    );
    expect(recovered.status.lastError).toBeUndefined();
    expect(recovered.status.conditions?.[0]).toMatchObject({
      status: 'True',
      lastTransitionTime: later.toISOString(),
    });
    const again = await reconcile(
      {
        ...first,
        now: new Date(later.getTime() + 60_000),
        resource: { ...first.resource, status: recovered.status },
      },
      apig,
    );
    expect(again.status.conditions?.[0]?.lastTransitionTime).toBe(later.toISOString());
  });

  it('reports Ready=True without a stale lastError when the Secret returns to what APIG holds', async () => {
    const apig = new RecordingApig();
    const good = await input();
    const synced = await reconcile(good, apig);
    const broken = await reconcile(
      {
        ...good,
        secret: { found: true, value: { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } } },
        resource: { ...good.resource, status: synced.status },
      },
      apig,
    );
    expect(broken.status.lastError).toBeDefined();
    const restored = await reconcile(
      { ...good, resource: { ...good.resource, status: broken.status } },
      apig,
    );
    expect(restored.result).toBe('unchanged');
    expect(restored.status.conditions?.[0]).toMatchObject({ status: 'True', reason: 'Synced' });
    expect(restored.status.lastError).toBeUndefined();
    expect(apig.puts).toHaveLength(1);
  });

  it('skips refused content only while the refusal is the current state', async () => {
    const apig = new RecordingApig();
    const accepted = await input();
    const refusedSecret = { found: true as const, value: await tlsSecret() };
    const synced = await reconcile(accepted, apig);
    apig.failWith = new ApigInvalidInputError('refused', {
      operation: 'updateCertificate',
      httpStatus: 400,
      errorCode: 'APIG.2102',
    });
    const refused = await reconcile(
      {
        ...accepted,
        secret: refusedSecret,
        resource: { ...accepted.resource, status: synced.status },
      },
      apig,
    );
    expect(refused.result).toBe('refused');
    // Back to the accepted content: nothing to send, and the refusal is history.
    const back = await reconcile(
      { ...accepted, resource: { ...accepted.resource, status: refused.status } },
      apig,
    );
    expect(back.result).toBe('unchanged');
    expect(back.status.failedHash).toBeUndefined();
    // The refused content again: tried once more and reported, never left Ready=True.
    const again = await reconcile(
      {
        ...accepted,
        secret: refusedSecret,
        resource: { ...accepted.resource, status: back.status },
      },
      apig,
    );
    expect(apig.puts).toHaveLength(3);
    expect(again.status.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ApigRejected' });
  });

  it('sends the instance ID for instance certificates only', async () => {
    const apig = new RecordingApig();
    await reconcile(
      { ...(await input()), resource: resource({ type: 'instance', instanceId: 'inst-1' }) },
      apig,
    );
    expect(apig.puts[0]!.body).toMatchObject({ type: 'instance', instanceId: 'inst-1' });
  });

  it('honours suspend: no call, and Ready says whether APIG is still in sync', async () => {
    const apig = new RecordingApig();
    const first = await input();
    const suspendedNew = await reconcile({ ...first, resource: resource({ suspend: true }) }, apig);
    expect(apig.puts).toHaveLength(0);
    expect(suspendedNew.status.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'Suspended',
    });

    const synced = await reconcile(first, apig);
    const suspendedSynced = await reconcile(
      { ...first, resource: { ...resource({ suspend: true }), status: synced.status } },
      apig,
    );
    expect(apig.puts).toHaveLength(1);
    expect(suspendedSynced.status.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Suspended',
    });
  });

  it('never puts key material in status or events', async () => {
    const secret = await tlsSecret();
    const keyBody = Buffer.from(secret.data['tls.key'], 'base64').toString().split('\n')[1]!;
    const base = { ...(await input()), secret: { found: true as const, value: secret } };
    const apig = new RecordingApig();
    const outcomes = [await reconcile(base, apig)];
    apig.failWith = new ApigInvalidInputError('refused', {
      operation: 'updateCertificate',
      httpStatus: 400,
      errorCode: 'APIG.2101',
    });
    outcomes.push(await reconcile({ ...base, resource: resource({ name: 'other_cert' }) }, apig));
    for (const outcome of outcomes) {
      const text = JSON.stringify({ status: outcome.status, event: outcome.event });
      expect(text).not.toContain('PRIVATE KEY');
      expect(text).not.toContain(keyBody);
    }
  });
});

describe('reconcile cancelled by its work item (lost leadership, shutdown)', () => {
  it('sends nothing once the signal has aborted', async () => {
    const apig = new RecordingApig();
    const cancel = new AbortController();
    cancel.abort();
    await expect(reconcile(await input(), apig, cancel.signal)).rejects.toThrow();
    expect(apig.puts).toHaveLength(0);
  });

  it('hands the signal to APIG, so a PUT still waiting for its turn is not sent', async () => {
    const apig = new RecordingApig();
    const cancel = new AbortController();
    const outcome = await reconcile(await input(), apig, cancel.signal);
    expect(outcome.result).toBe('synced');
    expect(apig.puts[0]!.signal).toBe(cancel.signal);
  });

  it.each<[string, Error]>([
    ['an AbortError', new DOMException('aborted', 'AbortError')],
    ['an APIG error', new ApigServerError('request aborted', { operation: 'updateCertificate' })],
  ])(
    'rejects with what a call cut short threw (%s), instead of writing it into status',
    async (_case, error) => {
      const apig = new RecordingApig();
      const cancel = new AbortController();
      apig.during = () => cancel.abort();
      apig.failWith = error;
      await expect(reconcile(await input(), apig, cancel.signal)).rejects.toBe(error);
    },
  );
});
