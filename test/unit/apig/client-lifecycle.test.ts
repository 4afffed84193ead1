// The lifecycle calls against the simulator: create, show, list (every page),
// delete, attach / detach / attached-domains, their refusals and the
// "outcome unknown" of a write.
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { apigRefusal, type ApigClient, type ApigError } from '../../../src/apig/index.ts';
import {
  AUTH_MODES,
  bodyFor,
  clientFor,
  rejectionOf,
  startSimulator,
  validLeaf,
} from './client-fixtures.ts';

const GATEWAY = 'gw-shop';
const OTHER_GATEWAY = 'gw-other';

let sim: ApigSimulator;
let client: ApigClient;

beforeEach(async () => {
  sim = await startSimulator();
  sim.seedDomain({
    instanceId: GATEWAY,
    groupId: 'g1',
    groupName: 'shop',
    domain: 'app.example.com',
  });
  sim.seedDomain({ instanceId: OTHER_GATEWAY, groupId: 'g2', domain: 'other.example.com' });
  client = clientFor(sim, 'token');
});

afterEach(async () => {
  await client.close();
  await sim.close();
});

function certificateCalls(): { method: string; path: string; query: string }[] {
  return sim
    .requests()
    .filter((r) => r.service !== 'iam')
    .map(({ method, path, query }) => ({ method, path, query }));
}

describe.each(AUTH_MODES)('%s', (mode) => {
  it('creates, finds by name, attaches, reads back, detaches and deletes', async () => {
    const leaf = await validLeaf();
    const signed = clientFor(sim, mode);
    try {
      const created = await signed.createCertificate({}, bodyFor(leaf, 'shop_cert'));
      expect(created).toMatchObject({ name: 'shop_cert', type: 'global', instanceId: 'common' });
      expect(sim.certificate(created.id)?.certContent).toBe(leaf.chainPem);

      const found = await signed.listCertificates({ name: 'shop_cert', type: 'global' });
      expect(found.map((c) => c.id)).toEqual([created.id]);
      const target = { certificateId: created.id };
      expect(await signed.showCertificate(target)).toEqual(created);

      await signed.attachDomains(target, [{ domain: 'app.example.com', instanceIds: [GATEWAY] }]);
      expect(await signed.listAttachedDomains(target)).toEqual([
        {
          urlDomain: 'app.example.com',
          id: sim.domains().find((d) => d.domain === 'app.example.com')!.id,
          status: 3,
          minSslVersion: 'TLSv1.2',
          verifiedClientCertificateEnabled: false,
          sslId: created.id,
          apiGroupId: 'g1',
          apiGroupName: 'shop',
          instanceId: GATEWAY,
        },
      ]);
      await signed.detachDomains(target, [{ domain: 'app.example.com' }]);
      expect(await signed.listAttachedDomains(target)).toEqual([]);
      await signed.deleteCertificate(target);
      expect(sim.certificate(created.id)).toBeUndefined();
    } finally {
      await signed.close();
    }
  });
});

describe('createCertificate', () => {
  it('creates in the scope given, and refuses a body that names another scope', async () => {
    sim.addInstance(GATEWAY);
    const leaf = await validLeaf();
    const created = await client.createCertificate(
      { type: 'instance', instanceId: GATEWAY },
      bodyFor(leaf),
    );
    expect(created).toMatchObject({ type: 'instance', instanceId: GATEWAY });
    const before = certificateCalls().length;
    const error = await rejectionOf(
      client.createCertificate({ instanceId: GATEWAY }, { ...bodyFor(leaf), instanceId: 'gw-x' }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(certificateCalls()).toHaveLength(before);
  });

  it('creates a second certificate with the same name (APIG does not refuse it)', async () => {
    const leaf = await validLeaf();
    const first = await client.createCertificate({}, bodyFor(leaf, 'twin_cert'));
    const second = await client.createCertificate({}, bodyFor(leaf, 'twin_cert'));
    const listed = await client.listCertificates({ name: 'twin_cert' });
    expect(listed.map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
  });
});

describe('showCertificate', () => {
  it('rejects an unknown certificate with kind notFound, refusal certificateNotFound', async () => {
    const error = await rejectionOf(client.showCertificate({ certificateId: 'missing' }));
    expect(error).toMatchObject({
      kind: 'notFound',
      errorCode: 'APIG.3025',
      outcomeUnknown: false,
    });
    expect(apigRefusal(error)).toBe('certificateNotFound');
  });
});

describe('listCertificates', () => {
  it('reads every page of 500 and matches the name exactly', async () => {
    for (let i = 0; i < 1001; i += 1)
      sim.seedCertificate({ id: `bulk-${i}`, name: `bulk_cert_${i}` });
    sim.seedCertificate({ id: 'exact', name: 'bulk_cert' });
    const all = await client.listCertificates({});
    expect(all).toHaveLength(1002);
    expect(new Set(all.map((c) => c.id)).size).toBe(1002);
    expect(certificateCalls().map((c) => c.query)).toEqual([
      'limit=500&offset=0',
      'limit=500&offset=500',
      'limit=500&offset=1000',
    ]);
    // APIG's name filter matches parts of names; the client keeps the exact one.
    const named = await client.listCertificates({ name: 'bulk_cert' });
    expect(named.map((c) => c.id)).toEqual(['exact']);
    // List items carry no serial number (APIG's CertBase).
    expect(named[0]).toMatchObject({ serialNumber: '', notBefore: '' });
  });

  it('on ROMA Connect needs an instanceId, before anything is sent', async () => {
    const roma = clientFor(sim, 'token', { service: 'roma' });
    try {
      const error = await rejectionOf(roma.listCertificates({ name: 'x_cert' }));
      expect(error).toBeInstanceOf(TypeError);
      expect(certificateCalls()).toEqual([]);
      sim.seedCertificate({
        id: 'roma-1',
        name: 'roma_cert',
        type: 'instance',
        instanceId: GATEWAY,
      });
      const listed = await roma.listCertificates({ instanceId: GATEWAY, type: 'instance' });
      expect(listed.map((c) => c.id)).toEqual(['roma-1']);
    } finally {
      await roma.close();
    }
  });
});

describe('refusals the lifecycle branches on', () => {
  async function attachedCertificate(): Promise<string> {
    const created = await client.createCertificate({}, bodyFor(await validLeaf()));
    await client.attachDomains({ certificateId: created.id }, [{ domain: 'app.example.com' }]);
    return created.id;
  }

  it.each([
    ['domainNotFound', 'notFound', 'APIG.3020', [{ domain: 'nowhere.example.com' }]],
    [
      'instanceMismatch',
      'invalidInput',
      'APIG.2012',
      [{ domain: 'app.example.com', instanceIds: [OTHER_GATEWAY] }],
    ],
    ['domainHasOtherCertificate', 'invalidInput', 'APIG.2051', [{ domain: 'app.example.com' }]],
  ] as const)('attach: %s', async (refusal, kind, errorCode, domains) => {
    await attachedCertificate();
    const other = await client.createCertificate({}, bodyFor(await validLeaf(), 'other_cert'));
    const error = await rejectionOf(client.attachDomains({ certificateId: other.id }, domains));
    expect(error).toMatchObject({
      kind,
      errorCode,
      operation: 'attachDomains',
      outcomeUnknown: false,
    });
    expect(apigRefusal(error)).toBe(refusal);
  });

  it('detach of a domain not attached: alreadyDetached', async () => {
    const id = await attachedCertificate();
    await client.detachDomains({ certificateId: id }, [{ domain: 'app.example.com' }]);
    const error = await rejectionOf(
      client.detachDomains({ certificateId: id }, [{ domain: 'app.example.com' }]),
    );
    expect(apigRefusal(error)).toBe('alreadyDetached');
  });

  it('delete while attached: certificateAttached', async () => {
    const id = await attachedCertificate();
    const error = await rejectionOf(client.deleteCertificate({ certificateId: id }));
    expect(error).toMatchObject({ kind: 'forbidden', operation: 'deleteCertificate' });
    expect(apigRefusal(error)).toBe('certificateAttached');
    expect(sim.certificate(id)).toBeDefined();
  });

  it('attach or detach without domains is a TypeError, nothing sent', async () => {
    for (const operation of ['attachDomains', 'detachDomains'] as const) {
      const error = await rejectionOf(client[operation]({ certificateId: 'c' }, []));
      expect(error).toBeInstanceOf(TypeError);
    }
    expect(certificateCalls()).toEqual([]);
  });
});

describe('listAttachedDomains', () => {
  it('reads every page', async () => {
    const domains = Array.from({ length: 600 }, (_, i) => `d${i}.example.com`);
    for (const domain of domains) sim.seedDomain({ instanceId: GATEWAY, groupId: 'g1', domain });
    sim.seedCertificate({ id: 'many', name: 'many_domains' });
    await client.attachDomains(
      { certificateId: 'many' },
      domains.map((domain) => ({ domain })),
    );
    const attached = await client.listAttachedDomains({ certificateId: 'many' });
    expect(attached.map((d) => d.urlDomain).sort()).toEqual([...domains].sort());
    expect(certificateCalls().filter((c) => c.method === 'GET')).toHaveLength(2);
  });
});

describe('outcomeUnknown', () => {
  async function failureOf(call: () => Promise<unknown>): Promise<ApigError> {
    return (await rejectionOf(call())) as ApigError;
  }

  // Refusals (4xx, throttling) leave it false too: refusals.test.ts classifies them.
  it('is set for a write that may have taken effect, never for a read', async () => {
    sim.seedCertificate({ id: 'c1', name: 'seeded_cert' });
    const leaf = await validLeaf();
    const target = { certificateId: 'c1' };
    const put = () => client.updateCertificate(target, bodyFor(leaf));
    const cases: [
      string,
      () => Promise<unknown>,
      Parameters<ApigSimulator['addFault']>[0],
      boolean,
    ][] = [
      ['PUT reset', put, { fault: { kind: 'reset' }, method: 'PUT' }, true],
      ['PUT 500', put, { fault: { kind: 'serverError' }, method: 'PUT' }, true],
      [
        'PUT applied, answer unreadable',
        put,
        { fault: { kind: 'malformed' }, method: 'PUT', after: true },
        true,
      ],
      [
        'POST create 500',
        () => client.createCertificate({}, bodyFor(leaf)),
        { fault: { kind: 'serverError' }, method: 'POST' },
        true,
      ],
      [
        'GET reset',
        () => client.showCertificate(target),
        { fault: { kind: 'reset' }, method: 'GET' },
        false,
      ],
      [
        'DELETE 500',
        () => client.deleteCertificate(target),
        { fault: { kind: 'serverError' }, method: 'DELETE' },
        true,
      ],
    ];
    for (const [label, call, rule, expected] of cases) {
      sim.addFault({ ...rule, times: 1 });
      const error = await failureOf(call);
      expect([label, error.outcomeUnknown]).toEqual([label, expected]);
    }
  });

  it('is false when the connection is refused: the request never left', async () => {
    const port = new URL(sim.url).port;
    await sim.close();
    const offline = clientFor(sim, 'token', { endpoint: `http://127.0.0.1:${port}` });
    sim = await startSimulator();
    try {
      const error = await failureOf(() => offline.deleteCertificate({ certificateId: 'c1' }));
      expect(error).toMatchObject({
        kind: 'server',
        errorCode: 'ECONNREFUSED',
        outcomeUnknown: false,
      });
    } finally {
      await offline.close();
    }
  });

  it('lets a caller see a late PUT: the answer failed, APIG applied it after the newer one', async () => {
    sim.seedCertificate({ id: 'late', name: 'seeded_cert' });
    const leaf = await validLeaf();
    sim.addFault({ fault: { kind: 'applyLate' }, method: 'PUT', certificateId: 'late', times: 1 });
    const target = { certificateId: 'late' };
    const error = await failureOf(() =>
      client.updateCertificate(target, bodyFor(leaf, 'older_name')),
    );
    expect(error.outcomeUnknown).toBe(true);
    await client.updateCertificate(target, bodyFor(leaf, 'newer_name'));
    expect((await client.showCertificate(target)).name).toBe('older_name');
  });
});
