// The pure lifecycle decisions: which certificate to keep, who owns a target,
// when APIG has drifted and when the next check is due, what deletion cleans up.
import {
  CLEANUP_FINALIZER,
  SKIP_CLEANUP_ANNOTATION,
  type ApigCertificateResource,
} from '../../../../src/api/v1alpha1.ts';
import type { CertificateSummary } from '../../../../src/certs/index.ts';
import { chooseCertificate, knownCertificate } from '../../../../src/controller/lifecycle/adopt.ts';
import { ApigNotFoundError, type CertificateTarget } from '../../../../src/apig/index.ts';
import {
  cleanUpApig,
  finalizerStep,
  finalizersAfter,
  type CleanupApig,
  type FinalizerStep,
} from '../../../../src/controller/lifecycle/cleanup.ts';
import {
  certificateDrift,
  driftCheckInMs,
  spreadFraction,
} from '../../../../src/controller/lifecycle/drift.ts';
import {
  OwnershipIndex,
  targetIdentities,
  type TargetScope,
} from '../../../../src/controller/lifecycle/ownership.ts';

const SCOPE = { endpoint: 'https://apig.example', service: 'apig', defaultProjectId: 'proj-1' };

function indexOf(resources: readonly ApigCertificateResource[]): OwnershipIndex {
  const index = new OwnershipIndex(() => SCOPE);
  for (const each of resources) index.set(each);
  return index;
}

function resource(
  name: string,
  spec: Partial<ApigCertificateResource['spec']>,
  extra: {
    created?: string;
    metadata?: Partial<ApigCertificateResource['metadata']>;
    status?: ApigCertificateResource['status'];
  } = {},
): ApigCertificateResource {
  return {
    metadata: {
      namespace: 'web',
      name,
      uid: `uid-${name}`,
      creationTimestamp: extra.created ?? '2026-11-01T00:00:00Z',
      ...extra.metadata,
    },
    spec: { name: 'shop_cert', secretRef: { name: 'shop-tls' }, ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

describe('chooseCertificate', () => {
  const intent = { name: 'shop_cert', type: 'global', projectId: 'p1' } as const;
  it.each([
    ['none listed: create', [], undefined, { kind: 'create' }],
    [
      'one with the name: adopt it',
      [{ id: 'c1', name: 'shop_cert' }],
      undefined,
      { kind: 'adopt', certificateId: 'c1', created: false },
    ],
    [
      'one with the name while our create of it is pending: adopt it as created',
      [{ id: 'c1', name: 'shop_cert' }],
      { projectId: 'p1', type: 'global', name: 'shop_cert' } as const,
      { kind: 'adopt', certificateId: 'c1', created: true },
    ],
    [
      'a pending create in another scope is not ours to claim',
      [{ id: 'c1', name: 'shop_cert' }],
      { ...intent, type: 'instance', instanceId: 'gw-1' } as const,
      { kind: 'adopt', certificateId: 'c1', created: false },
    ],
    [
      'a longer name is not the name',
      [{ id: 'c1', name: 'shop_cert_old' }],
      undefined,
      { kind: 'create' },
    ],
    [
      'two with the name: ambiguous, IDs sorted, even with our create pending',
      [
        { id: 'c2', name: 'shop_cert' },
        { id: 'c1', name: 'shop_cert' },
        { id: 'c3', name: 'other' },
      ],
      intent,
      { kind: 'ambiguous', certificateIds: ['c1', 'c2'] },
    ],
  ])('%s', (_case, listed, recorded, expected) => {
    expect(chooseCertificate(intent, listed, recorded)).toEqual(expected);
  });

  it.each([
    [
      'the spec ID',
      'spec-id',
      { certificateId: 'old' },
      { kind: 'known', certificateId: 'spec-id', created: false },
    ],
    [
      'the ID status recorded',
      undefined,
      { certificateId: 's1', created: true },
      { kind: 'known', certificateId: 's1', created: true },
    ],
    ['nothing known', undefined, {}, undefined],
  ])('knows %s', (_case, specId, status, expected) => {
    expect(knownCertificate(specId, status)).toEqual(expected);
  });
});

describe('ownership', () => {
  it.each<[string, ApigCertificateResource, ApigCertificateResource, string | undefined]>([
    [
      'same spec ID: the older owns it',
      resource('new', { certificateId: 'c1' }, { created: '2026-11-02T00:00:00Z' }),
      resource('old', { certificateId: 'c1' }),
      'old',
    ],
    [
      'same name in the same scope',
      resource('new', {}, { created: '2026-11-02T00:00:00Z' }),
      resource('old', {}),
      'old',
    ],
    [
      'a spec ID and a by-name resource that adopted it',
      resource('new', { certificateId: 'c1' }, { created: '2026-11-02T00:00:00Z' }),
      resource('old', { name: 'other_name' }, { status: { certificateId: 'c1' } }),
      'old',
    ],
    [
      'same creation time: the name decides',
      resource('b', { certificateId: 'c1' }),
      resource('a', { certificateId: 'c1' }),
      'a',
    ],
    [
      'different IDs',
      resource('new', { certificateId: 'c2' }),
      resource('old', { certificateId: 'c1' }),
      undefined,
    ],
    [
      'same name, other project',
      resource('new', { projectId: 'proj-2' }, { created: '2026-11-02T00:00:00Z' }),
      resource('old', {}),
      undefined,
    ],
    [
      'same name, instance and global scope',
      resource('new', { type: 'instance', instanceId: 'i1' }, { created: '2026-11-02T00:00:00Z' }),
      resource('old', {}),
      undefined,
    ],
    [
      'same ID, the older is the one asked about',
      resource('old', { certificateId: 'c1' }),
      resource('new', { certificateId: 'c1' }, { created: '2026-11-02T00:00:00Z' }),
      undefined,
    ],
  ])('%s', (_case, asked, other, owner) => {
    const index = indexOf([asked, other]);
    expect(index.ownerOf(asked)?.metadata.name).toBe(owner);
  });

  it('names the rivals of a resource (to requeue them when it goes)', () => {
    const owner = resource('old', { certificateId: 'c1' });
    const rival = resource('new', { certificateId: 'c1' }, { created: '2026-11-02T00:00:00Z' });
    const unrelated = resource('other', { certificateId: 'c9' });
    const index = indexOf([owner, rival, unrelated]);
    expect(index.rivalsOf(owner).map((r) => r.metadata.name)).toEqual(['new']);
  });

  it('follows the watch: a recorded ID, a delete, a changed scope', () => {
    let scope: TargetScope = SCOPE;
    const index = new OwnershipIndex(() => scope);
    const old = resource('old', { name: 'shop_cert' });
    const young = resource('young', { certificateId: 'c1' }, { created: '2026-11-02T00:00:00Z' });
    index.set(old);
    index.set(young);
    expect(index.ownerOf(young)).toBeUndefined();
    // The older resource's status write records the ID it found by name.
    const recorded = { ...old, status: { certificateId: 'c1' } };
    index.set(recorded);
    expect(index.ownerOf(young)?.metadata.name).toBe('old');
    expect(index.rivalsOf(recorded).map((r) => r.metadata.name)).toEqual(['young']);
    index.delete('web/old');
    expect(index.ownerOf(young)).toBeUndefined();
    index.set(recorded);
    // Its provider moved to another endpoint: re-set, it no longer shares the target.
    scope = { ...SCOPE, endpoint: 'https://other.example' };
    index.set(recorded);
    scope = SCOPE;
    expect(index.ownerOf(young)).toBeUndefined();
    expect(index.rivalsOf(young)).toEqual([]);
  });

  it('keeps targets of different endpoints apart', () => {
    const a = resource('a', { certificateId: 'c1' });
    const b = resource('b', { certificateId: 'c1' });
    expect(targetIdentities(a, SCOPE)).not.toEqual(
      targetIdentities(b, { ...SCOPE, endpoint: 'https://other.example' }),
    );
  });
});

const LEAF = {
  serialNumber: '1a2b',
  serialNumberDecimal: String(0x1a2b),
  notAfter: new Date('2027-02-26T12:00:00Z'),
} as CertificateSummary;

describe('certificateDrift', () => {
  it.each<[string, { serialNumber: string; notAfter: string }, string[]]>([
    ['the same (decimal serial)', { serialNumber: '6699', notAfter: '2027-02-26T12:00:00Z' }, []],
    ['the same (hex serial)', { serialNumber: '00:1A:2B', notAfter: '2027-02-26T12:00:00Z' }, []],
    ['another serial', { serialNumber: '7', notAfter: '2027-02-26T12:00:00Z' }, ['serial']],
    ['another not-after', { serialNumber: '6699', notAfter: '2027-01-01T00:00:00Z' }, ['notAfter']],
    ['both', { serialNumber: '7', notAfter: '2027-01-01T00:00:00Z' }, ['serial', 'notAfter']],
  ])('%s', (_case, held, kinds) => {
    expect(certificateDrift(held, LEAF)).toEqual(kinds);
  });
});

describe('driftCheckInMs', () => {
  const HOUR = 3_600_000;
  const NOW = new Date('2026-12-01T12:00:00Z');

  it('is off with a 0 interval', () => {
    expect(driftCheckInMs(undefined, undefined, NOW, 0, 'uid')).toBeUndefined();
  });

  it('is a whole (jittered) interval away when nothing was ever checked or synced', () => {
    const wait = driftCheckInMs(undefined, undefined, NOW, HOUR, 'uid');
    expect(wait).toBeGreaterThanOrEqual(0.75 * HOUR);
    expect(wait).toBeLessThanOrEqual(1.25 * HOUR);
  });

  it('is due at once when the interval has passed', () => {
    const last = new Date(NOW.getTime() - 2 * HOUR).toISOString();
    expect(driftCheckInMs(last, undefined, NOW, HOUR, 'uid')).toBe(0);
  });

  it('falls within ±25 % of the interval after the last check, from the last sync when never checked', () => {
    const last = new Date(NOW.getTime() - 10 * 60_000).toISOString();
    for (const wait of [
      driftCheckInMs(last, undefined, NOW, HOUR, 'uid-a'),
      driftCheckInMs(undefined, last, NOW, HOUR, 'uid-a'),
    ]) {
      expect(wait).toBeGreaterThanOrEqual(0.75 * HOUR - 10 * 60_000);
      expect(wait).toBeLessThanOrEqual(1.25 * HOUR - 10 * 60_000);
    }
  });

  it('spreads 1000 resources checked at once over the interval', () => {
    const fractions = Array.from({ length: 1000 }, (_, i) => spreadFraction(`uid-${i}`));
    const buckets = new Array<number>(10).fill(0);
    for (const f of fractions) buckets[Math.floor(f * 10)]! += 1;
    // Uniform would be 100 per tenth; no tenth holds more than twice that.
    expect(Math.max(...buckets)).toBeLessThan(200);
    expect(Math.min(...buckets)).toBeGreaterThan(50);
  });
});

const PENDING = { name: 'shop_cert', type: 'global', projectId: 'proj-1' } as const;

describe('finalizerStep', () => {
  const deleting = { deletionTimestamp: '2026-12-01T12:00:00Z', finalizers: [CLEANUP_FINALIZER] };
  it.each<[string, ApigCertificateResource, ReturnType<typeof finalizerStep>]>([
    ['Retain without a finalizer: nothing', resource('r', {}), { kind: 'none' }],
    [
      'Delete without the finalizer: add it',
      resource('r', { deletionPolicy: 'Delete' }),
      { kind: 'add' },
    ],
    [
      'Delete with it: nothing',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        { metadata: { finalizers: [CLEANUP_FINALIZER] } },
      ),
      { kind: 'none' },
    ],
    [
      'Retain with ours (policy changed): remove it',
      resource(
        'r',
        { deletionPolicy: 'Retain' },
        { metadata: { finalizers: [CLEANUP_FINALIZER] } },
      ),
      { kind: 'remove' },
    ],
    [
      'deleting with Delete: detach ours, delete what it created',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        {
          metadata: deleting,
          status: { certificateId: 'c1', created: true, attachedDomains: ['api.example.com'] },
        },
      ),
      { kind: 'cleanUp', detach: ['api.example.com'], deleteCertificateId: 'c1' },
    ],
    [
      'deleting an adopted certificate: detach only',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        { metadata: deleting, status: { certificateId: 'c1' } },
      ),
      { kind: 'cleanUp', detach: [], deleteCertificateId: undefined },
    ],
    [
      'deleting while a create of ours is pending (its ID never recorded): find it by name',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        { metadata: deleting, status: { pendingCreate: PENDING } },
      ),
      { kind: 'cleanUp', detach: [], deleteCertificateId: undefined, pendingCreate: PENDING },
    ],
    [
      'deleting with skip-cleanup: let it go',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        {
          metadata: { ...deleting, annotations: { [SKIP_CLEANUP_ANNOTATION]: 'true' } },
          status: { certificateId: 'c1', created: true },
        },
      ),
      { kind: 'remove' },
    ],
    [
      'deleting without our finalizer: nothing',
      resource(
        'r',
        { deletionPolicy: 'Delete' },
        { metadata: { deletionTimestamp: '2026-12-01T12:00:00Z' } },
      ),
      { kind: 'none' },
    ],
  ])('%s', (_case, subject, step) => {
    expect(finalizerStep(subject)).toEqual(step);
  });

  it("keeps other controllers' finalizers", () => {
    const subject = resource('r', {}, { metadata: { finalizers: ['other/x', CLEANUP_FINALIZER] } });
    expect(finalizersAfter(subject, 'remove')).toEqual(['other/x']);
    expect(
      finalizersAfter(resource('r', {}, { metadata: { finalizers: ['other/x'] } }), 'add'),
    ).toEqual(['other/x', CLEANUP_FINALIZER]);
  });
});

describe('cleanUpApig', () => {
  /** APIG holding `held` (ID → name); a DELETE of an absent ID answers 404 APIG.3025. */
  function memoryApig(held: Record<string, string>): CleanupApig & { deleted: string[] } {
    const deleted: string[] = [];
    return {
      deleted,
      detachDomains: () => Promise.resolve(),
      listCertificates: (query) =>
        Promise.resolve(
          Object.entries(held)
            .filter(([, name]) => name === query.name)
            .map(([id, name]) => ({ id, name })) as never,
        ),
      deleteCertificate: (target: CertificateTarget) => {
        if (!(target.certificateId in held)) {
          return Promise.reject(
            new ApigNotFoundError('no such certificate', {
              operation: 'deleteCertificate',
              httpStatus: 404,
              errorCode: 'APIG.3025',
            }),
          );
        }
        delete held[target.certificateId];
        deleted.push(target.certificateId);
        return Promise.resolve();
      },
    };
  }
  type CleanUp = Extract<FinalizerStep, { kind: 'cleanUp' }>;
  const pendingStep: CleanUp = {
    kind: 'cleanUp',
    detach: [],
    deleteCertificateId: undefined,
    pendingCreate: PENDING,
  };

  it.each([
    ['the one of that name: deleted', { c1: 'shop_cert', c2: 'other' }, ['c1']],
    ['none of that name: nothing to delete', { c2: 'other' }, []],
    ['two of that name: not ours to pick, none deleted', { c1: 'shop_cert', c2: 'shop_cert' }, []],
  ])('a pending create, %s', async (_case, held, deleted) => {
    const apig = memoryApig(held);
    expect(await cleanUpApig(pendingStep, undefined, 'proj-1', apig)).toBeUndefined();
    expect(apig.deleted).toEqual(deleted);
  });

  it('a DELETE applied earlier whose answer was lost meets 404 on retry: done', async () => {
    const apig = memoryApig({});
    const step: CleanUp = { kind: 'cleanUp', detach: [], deleteCertificateId: 'c1' };
    expect(await cleanUpApig(step, 'c1', 'proj-1', apig)).toBeUndefined();
  });
});
