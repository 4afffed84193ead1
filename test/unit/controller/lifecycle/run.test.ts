// reconcileLifecycle as a sequence of decisions against an APIG that keeps
// what it is sent in memory (the integration tests run the same against the
// simulator): what is written, and what is not.
import {
  ApigInvalidInputError,
  ApigNotFoundError,
  ApigServerError,
  type ApigCertificate,
  type AttachedDomain,
  type CertificateBody,
  type CertificateQuery,
  type CertificateScope,
  type CertificateTarget,
  type DomainBinding,
} from '../../../../src/apig/index.ts';
import type {
  ApigCertificateResource,
  ApigCertificateStatus,
} from '../../../../src/api/v1alpha1.ts';
import {
  reconcileLifecycle,
  type LifecycleApig,
  type LifecycleInput,
  type LifecycleIo,
} from '../../../../src/controller/lifecycle/run.ts';
import {
  issueCertificate,
  sharedKeyPair,
  tlsSecretData,
  type IssuedCertificate,
} from '../../../support/certs.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Holds certificates and attachments; counts every call by name. */
class MemoryApig implements LifecycleApig {
  readonly certificates = new Map<string, ApigCertificate>();
  readonly attached = new Map<string, string>(); // domain -> certificate ID
  readonly calls: string[] = [];
  failNext: Error | undefined;
  #next = 1;

  #answer(id: string, body: CertificateBody, serial: string, notAfter: string): ApigCertificate {
    return {
      id,
      name: body.name,
      serialNumber: serial,
      notAfter,
      type: body.type ?? 'global',
    } as ApigCertificate;
  }
  #fail(name: string): void {
    this.calls.push(name);
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }
  leaf: { serial: string; notAfter: string } = { serial: '', notAfter: '' };
  /** Each status written before a create (the controller's recordIntent), in order. */
  readonly intents: ApigCertificateStatus[] = [];
  failIntent: Error | undefined;

  /** APIG, and a status writer that keeps what it is given; both log to `calls`. */
  io(input: LifecycleInput): LifecycleIo {
    return {
      apig: this,
      recordIntent: (status) => {
        this.calls.push('intent');
        if (this.failIntent) return Promise.reject(this.failIntent);
        this.intents.push(status);
        return Promise.resolve({ ...input.resource, status });
      },
    };
  }

  updateCertificate(target: CertificateTarget, body: CertificateBody): Promise<ApigCertificate> {
    this.#fail('update');
    const answer = this.#answer(target.certificateId, body, this.leaf.serial, this.leaf.notAfter);
    this.certificates.set(target.certificateId, answer);
    return Promise.resolve(answer);
  }
  createCertificate(_scope: CertificateScope, body: CertificateBody): Promise<ApigCertificate> {
    this.#fail('create');
    const answer = this.#answer(`new-${this.#next++}`, body, this.leaf.serial, this.leaf.notAfter);
    this.certificates.set(answer.id, answer);
    return Promise.resolve(answer);
  }
  showCertificate(target: CertificateTarget): Promise<ApigCertificate> {
    this.#fail('show');
    const held = this.certificates.get(target.certificateId);
    if (!held)
      return Promise.reject(
        new ApigNotFoundError('not found', {
          operation: 'showCertificate',
          httpStatus: 404,
          errorCode: 'APIG.3025',
        }),
      );
    return Promise.resolve(held);
  }
  listCertificates(query: CertificateQuery): Promise<ApigCertificate[]> {
    this.#fail('list');
    return Promise.resolve([...this.certificates.values()].filter((c) => c.name === query.name));
  }
  deleteCertificate(target: CertificateTarget): Promise<void> {
    this.#fail('delete');
    this.certificates.delete(target.certificateId);
    return Promise.resolve();
  }
  attachDomains(target: CertificateTarget, domains: readonly DomainBinding[]): Promise<void> {
    this.#fail('attach');
    for (const d of domains) this.attached.set(d.domain, target.certificateId);
    return Promise.resolve();
  }
  detachDomains(_target: CertificateTarget, domains: readonly DomainBinding[]): Promise<void> {
    this.#fail('detach');
    for (const d of domains) this.attached.delete(d.domain);
    return Promise.resolve();
  }
  listAttachedDomains(target: CertificateTarget): Promise<AttachedDomain[]> {
    this.#fail('attached');
    return Promise.resolve(
      [...this.attached]
        .filter(([, id]) => id === target.certificateId)
        .map(([domain]) => ({
          urlDomain: domain,
          id: domain,
          status: 3,
          minSslVersion: 'TLSv1.2',
          verifiedClientCertificateEnabled: false,
          sslId: target.certificateId,
          apiGroupId: 'g',
          apiGroupName: 'shop',
          instanceId: 'gw-1',
        })),
    );
  }
}

let issued: IssuedCertificate;
beforeAll(async () => {
  issued = await issueCertificate({
    commonName: 'shop.example.com',
    dnsNames: ['*.shop.example.com'],
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 90 * DAY),
  });
});

function apigWithLeaf(): MemoryApig {
  const apig = new MemoryApig();
  apig.leaf = {
    serial: BigInt(`0x${issued.serialNumber}`).toString(10),
    notAfter: issued.notAfter.toISOString().replace('.000', ''),
  };
  return apig;
}

function input(
  spec: Partial<ApigCertificateResource['spec']> = {},
  status?: ApigCertificateStatus,
  extra: Partial<LifecycleInput> = {},
): LifecycleInput {
  return {
    resource: {
      metadata: { name: 'shop', namespace: 'web', uid: 'uid-shop', generation: 1 },
      spec: { name: 'shop_cert', secretRef: { name: 'shop-tls' }, ...spec },
      ...(status ? { status } : {}),
    },
    secret: { found: true, value: { type: 'kubernetes.io/tls', data: tlsSecretData(issued) } },
    apig: { endpoint: 'https://apig.example', service: 'apig', defaultProjectId: 'proj-1' },
    now: NOW,
    retryRefusedAfterMs: 10 * HOUR,
    driftCheckIntervalMs: HOUR,
    ...extra,
  };
}

function run(current: LifecycleInput, apig: MemoryApig) {
  return reconcileLifecycle(current, apig.io(current));
}

/** Runs passes as the controller would, each on the status the last one produced. */
async function passes(apig: MemoryApig, first: LifecycleInput, count: number) {
  let current = first;
  let outcome = await run(current, apig);
  for (let i = 1; i < count; i += 1) {
    current = { ...current, resource: { ...current.resource, status: outcome.status } };
    outcome = await run(current, apig);
  }
  return outcome;
}

const PENDING = { name: 'shop_cert', type: 'global', projectId: 'proj-1' } as const;

function withFound(apig: MemoryApig): MemoryApig {
  apig.certificates.set('c1', {
    id: 'c1',
    name: 'shop_cert',
    serialNumber: apig.leaf.serial,
    notAfter: apig.leaf.notAfter,
  } as ApigCertificate);
  return apig;
}

describe('reconcileLifecycle', () => {
  it('creates once, its intent recorded in status before the POST, then sends nothing', async () => {
    const apig = apigWithLeaf();
    const outcome = await passes(apig, input(), 3);
    expect(apig.calls).toEqual(['list', 'intent', 'create']);
    expect(apig.intents.map((status) => status.pendingCreate)).toEqual([PENDING]);
    expect(outcome.status).toMatchObject({ certificateId: 'new-1', created: true });
    expect(outcome.status.pendingCreate).toBeUndefined();
  });

  it('sends no POST when the intent cannot be written', async () => {
    const apig = apigWithLeaf();
    apig.failIntent = new Error('the API server is down');
    await expect(run(input(), apig)).rejects.toThrow('the API server is down');
    expect(apig.calls).toEqual(['list', 'intent']);
    expect(apig.certificates.size).toBe(0);
  });

  it("records an instance certificate's scope in the intent", async () => {
    const apig = apigWithLeaf();
    await run(input({ type: 'instance', instanceId: 'gw-1' }), apig);
    expect(apig.intents[0]?.pendingCreate).toEqual({
      ...PENDING,
      type: 'instance',
      instanceId: 'gw-1',
    });
  });

  it('adopts as created, with no second POST, the certificate found while its create is pending (the answer was lost)', async () => {
    const apig = withFound(apigWithLeaf());
    const outcome = await run(input({}, { pendingCreate: PENDING }), apig);
    expect(apig.calls).toEqual(['list', 'show']);
    expect(outcome.status).toMatchObject({ certificateId: 'c1', created: true });
    expect(outcome.status.pendingCreate).toBeUndefined();
  });

  it.each([
    ['another name', { ...PENDING, name: 'old_cert' }],
    ['another type', { ...PENDING, type: 'instance', instanceId: 'gw-1' } as const],
    ['another project', { ...PENDING, projectId: 'proj-2' }],
  ])(
    'adopts as found, not created, when the pending create named %s, and clears it',
    async (_case, pendingCreate) => {
      const apig = withFound(apigWithLeaf());
      const outcome = await run(input({}, { pendingCreate }), apig);
      expect(apig.calls).toEqual(['list', 'show']);
      expect(outcome.status.certificateId).toBe('c1');
      expect(outcome.status.created).toBeUndefined();
      expect(outcome.status.pendingCreate).toBeUndefined();
    },
  );

  it.each([
    [
      'an unknown outcome keeps it',
      new ApigServerError('reset', { operation: 'createCertificate', outcomeUnknown: true }),
      PENDING,
    ],
    [
      'a 500 known not applied clears it',
      new ApigServerError('busy', { operation: 'createCertificate', httpStatus: 500 }),
      undefined,
    ],
    [
      'a permanent refusal clears it',
      new ApigInvalidInputError('bad name', {
        operation: 'createCertificate',
        httpStatus: 400,
        errorCode: 'APIG.2012',
      }),
      undefined,
    ],
  ])('a failed POST: %s', async (_case, error, pendingCreate) => {
    const failing = Object.assign(apigWithLeaf(), {
      createCertificate: () => Promise.reject(error),
    });
    const outcome = await run(input(), failing);
    expect(outcome.result).toBe(error.retryable ? 'apig_error' : 'refused');
    expect(outcome.status.pendingCreate).toEqual(pendingCreate);
    expect(outcome.status.certificateId).toBeUndefined();
  });

  it('adopts a certificate that already holds the content without writing', async () => {
    const apig = withFound(apigWithLeaf());
    const outcome = await passes(apig, input(), 2);
    expect(apig.calls).toEqual(['list', 'show']);
    expect(outcome.status.certificateId).toBe('c1');
    expect(outcome.status.created).toBeUndefined();
  });

  it('records a POST accepted earlier (status write failed) without a second POST', async () => {
    const apig = apigWithLeaf();
    const first = await run(input(), apig);
    // The intent was written; the status write after the POST was not.
    const again = await run(
      input({}, { pendingCreate: PENDING }, { acceptedEarlier: first.accepted }),
      apig,
    );
    expect(apig.calls).toEqual(['list', 'intent', 'create']);
    expect(again.status.pendingCreate).toBeUndefined();
    expect(again.status).toMatchObject({
      certificateId: 'new-1',
      created: true,
      syncedHash: first.status.syncedHash,
    });
  });

  it('reads back before writing again after an unknown outcome, and writes nothing if APIG holds it', async () => {
    const apig = withFound(apigWithLeaf());
    const outcome = await run(
      input({ certificateId: 'c1' }, undefined, { readBackFirst: true }),
      apig,
    );
    expect(apig.calls).toEqual(['show']);
    expect(outcome.result).toBe('synced');
    expect(outcome.status.lastDriftCheckTime).toBe(NOW.toISOString());
  });

  it('passes an unknown outcome on, for the controller to read back next time', async () => {
    const apig = apigWithLeaf();
    apig.failNext = new ApigServerError('server error', {
      operation: 'updateCertificate',
      httpStatus: 500,
      outcomeUnknown: true,
    });
    const outcome = await run(input({ certificateId: 'c1' }), apig);
    expect(outcome.error?.outcomeUnknown).toBe(true);
  });

  it('corrects drift found by a due check with one write, and counts it', async () => {
    const apig = apigWithLeaf();
    const synced = await passes(apig, input({ certificateId: 'c1' }), 1);
    apig.certificates.set('c1', { ...apig.certificates.get('c1')!, serialNumber: '12345' });
    const later = {
      ...input({ certificateId: 'c1' }, synced.status),
      now: new Date(NOW.getTime() + 2 * HOUR),
    };
    const outcome = await run(later, apig);
    expect(apig.calls).toEqual(['update', 'show', 'update']);
    expect(outcome.drift).toEqual(['serial']);
    expect(outcome.event?.reason).toBe('Drifted');
  });

  it('attaches declared domains, then lists nothing in steady state', async () => {
    const apig = apigWithLeaf();
    const outcome = await passes(
      apig,
      input({ certificateId: 'c1', domains: [{ name: 'api.shop.example.com' }] }),
      3,
    );
    expect(apig.calls).toEqual(['update', 'attached', 'attach', 'attached']);
    expect(outcome.status.domains).toEqual([
      {
        name: 'api.shop.example.com',
        bound: true,
        instanceId: 'gw-1',
        apiGroupName: 'shop',
        status: 'Resolved',
      },
    ]);
    expect(outcome.status.attachedDomains).toEqual(['api.shop.example.com']);
  });

  it('refuses an uncovered domain and a duplicate target before any call', async () => {
    const apig = apigWithLeaf();
    const uncovered = await run(input({ domains: [{ name: 'api.other.example.com' }] }), apig);
    const duplicate = await run(input({}, undefined, { ownedBy: 'web/older' }), apig);
    expect(apig.calls).toEqual([]);
    expect(uncovered.status.conditions?.[0]).toMatchObject({ reason: 'DomainNotCovered' });
    expect(duplicate.status.conditions?.[0]?.message).toContain('web/older');
  });

  it('dry run: reads, names the writes it would make, sends none', async () => {
    const apig = apigWithLeaf();
    const outcome = await run(input({}, undefined, { dryRun: true }), apig);
    expect(apig.calls).toEqual(['list']);
    expect(apig.intents).toEqual([]);
    expect(apig.certificates.size).toBe(0);
    const planned = outcome.status.conditions?.find((c) => c.type === 'Planned');
    expect(planned).toMatchObject({ status: 'True', reason: 'WritesPlanned' });
    expect(planned?.message).toContain('create certificate shop_cert');
  });
});
