// The simulator's certificate lifecycle beyond the PUT: domains on gateways,
// attach / detach / attached-domains, DELETE refused while attached, the
// console's edits, ROMA's list rule and the late-PUT fault.
import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { makeFixtures } from './fixtures.ts';
import type { Fixtures } from './fixtures.ts';
import { errorOf, jsonOf, send } from './helpers.ts';
import type { SimResponse } from './helpers.ts';

const TOKEN = 'static-token';
const GATEWAY = 'gw-one';
const OTHER_GATEWAY = 'gw-two';

let f: Fixtures;
let sim: ApigSimulator;

beforeAll(async () => {
  f = await makeFixtures();
});

beforeEach(async () => {
  sim = await startApigSimulator({ staticTokens: [TOKEN] });
  sim.seedCertificate({ id: 'global-1', name: 'global_one' });
  sim.seedCertificate({ id: 'global-2', name: 'global_two' });
  sim.seedCertificate({
    id: 'inst-1',
    name: 'instance_one',
    type: 'instance',
    instanceId: GATEWAY,
  });
  sim.seedDomain({
    instanceId: GATEWAY,
    groupId: 'g1',
    groupName: 'shop',
    domain: 'a.example.com',
  });
  sim.seedDomain({ instanceId: GATEWAY, groupId: 'g1', domain: 'b.example.com' });
  sim.seedDomain({ instanceId: OTHER_GATEWAY, groupId: 'g2', domain: 'c.example.com' });
});

afterEach(() => sim.close());

function path(rest = '', service: 'apigw' | 'apic' = 'apigw'): string {
  return `/v2/${sim.projectId}/${service}/certificates${rest}`;
}

function call(method: string, to: string, body?: unknown): Promise<SimResponse> {
  return send(sim.url, {
    method,
    path: to,
    headers: {
      'X-Auth-Token': TOKEN,
      ...(body !== undefined ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

function attach(id: string, domains: unknown): Promise<SimResponse> {
  return call('POST', path(`/${id}/domains/attach`), { domains });
}

function detach(id: string, domains: unknown): Promise<SimResponse> {
  return call('POST', path(`/${id}/domains/detach`), { domains });
}

function attachedTo(id: string): string[] {
  return sim
    .domains()
    .filter((d) => d.certificateId === id)
    .map((d) => `${d.instanceId}/${d.domain}`)
    .sort();
}

describe('attach, detach and attached-domains', () => {
  it('attaches, reports and detaches a global certificate', async () => {
    const attached = await attach('global-1', [{ domain: 'a.example.com' }]);
    expect([attached.status, attached.text]).toEqual([204, '']);
    const listed = jsonOf(await call('GET', path('/global-1/attached-domains')));
    expect(listed).toEqual({
      size: 1,
      total: 1,
      bound_domains: [
        expect.objectContaining({
          url_domain: 'a.example.com',
          id: sim.domains().find((d) => d.domain === 'a.example.com')?.id,
          status: 3,
          verified_client_certificate_enabled: false,
          ssl_id: 'global-1',
          ssl_name: 'global_one',
          api_group_id: 'g1',
          api_group_name: 'shop',
          instance_id: GATEWAY,
        }),
      ],
    });
    expect((await detach('global-1', [{ domain: 'a.example.com' }])).status).toBe(204);
    expect(attachedTo('global-1')).toEqual([]);
  });

  it('pages attached domains and filters by url_domain', async () => {
    await attach('global-1', [{ domain: 'a.example.com' }, { domain: 'b.example.com' }]);
    const first = jsonOf(await call('GET', path('/global-1/attached-domains?limit=1')));
    expect(first).toMatchObject({ size: 1, total: 2 });
    const second = jsonOf(await call('GET', path('/global-1/attached-domains?offset=1&limit=1')));
    expect(second).toMatchObject({ size: 1, total: 2 });
    const only = jsonOf(
      await call('GET', path('/global-1/attached-domains?url_domain=b.example.com')),
    );
    expect(only).toMatchObject({
      size: 1,
      total: 1,
      bound_domains: [{ url_domain: 'b.example.com' }],
    });
    const tooMany = await call('GET', path('/global-1/attached-domains?limit=501'));
    expect(errorOf(tooMany).error_code).toBe('APIG.2012');
  });

  it.each([
    [
      'an unknown domain',
      'inst-1',
      [{ domain: 'nowhere.example.com' }],
      404,
      'APIG.3020',
      'nowhere',
    ],
    [
      "a domain on another gateway than the certificate's",
      'inst-1',
      [{ domain: 'c.example.com' }],
      400,
      'APIG.2012',
      'instance_ids',
    ],
    [
      'instance_ids naming another gateway for an instance certificate',
      'inst-1',
      [{ domain: 'a.example.com', instance_ids: [OTHER_GATEWAY] }],
      400,
      'APIG.2012',
      'instance_ids',
    ],
    [
      'instance_ids that do not hold the domain',
      'global-1',
      [{ domain: 'a.example.com', instance_ids: [OTHER_GATEWAY] }],
      400,
      'APIG.2012',
      'instance_ids',
    ],
    [
      'an unknown gateway',
      'global-1',
      [{ domain: 'a.example.com', instance_ids: ['gw-none'] }],
      400,
      'APIG.2012',
      'instance_ids',
    ],
    ['no domains field', 'global-1', undefined, 400, 'APIG.2001', 'domains'],
    ['an empty list', 'global-1', [], 400, 'APIG.2012', 'domains'],
    [
      'an entry without domain',
      'global-1',
      [{ instance_ids: [GATEWAY] }],
      400,
      'APIG.2001',
      'domain',
    ],
    [
      'instance_ids not strings',
      'global-1',
      [{ domain: 'a.example.com', instance_ids: [1] }],
      400,
      'APIG.2012',
      'instance_ids',
    ],
    [
      'client verification without a trusted CA',
      'global-1',
      [{ domain: 'a.example.com', verified_client_certificate_enabled: true }],
      400,
      'APIG.2012',
      'verified_client_certificate_enabled',
    ],
    [
      'an unknown certificate',
      'missing',
      [{ domain: 'a.example.com' }],
      404,
      'APIG.3025',
      'missing',
    ],
  ])('refuses to attach %s', async (_label, id, domains, status, code, message) => {
    const res = await attach(id, domains);
    expect([res.status, errorOf(res).error_code]).toEqual([status, code]);
    expect(errorOf(res).error_msg).toContain(message);
    expect(sim.domains().every((d) => d.certificateId === undefined)).toBe(true);
  });

  it('finds a domain on the named gateway only and attaches an instance certificate on its own', async () => {
    sim.seedDomain({ instanceId: OTHER_GATEWAY, groupId: 'g3', domain: 'a.example.com' });
    expect((await attach('inst-1', [{ domain: 'a.example.com' }])).status).toBe(204);
    expect(attachedTo('inst-1')).toEqual([`${GATEWAY}/a.example.com`]);
    const global = await attach('global-1', [
      { domain: 'a.example.com', instance_ids: [OTHER_GATEWAY] },
    ]);
    expect(global.status).toBe(204);
    expect(attachedTo('global-1')).toEqual([`${OTHER_GATEWAY}/a.example.com`]);
  });

  it('refuses a domain that has another certificate (APIG.2051), all or nothing', async () => {
    await attach('global-1', [{ domain: 'a.example.com' }]);
    const res = await attach('global-2', [
      { domain: 'b.example.com' },
      { domain: 'a.example.com' },
    ]);
    expect([res.status, errorOf(res).error_code]).toEqual([400, 'APIG.2051']);
    expect(attachedTo('global-2')).toEqual([]);
    expect(attachedTo('global-1')).toEqual([`${GATEWAY}/a.example.com`]);
    // Attaching the same certificate again is no change.
    expect((await attach('global-1', [{ domain: 'a.example.com' }])).status).toBe(204);
  });

  it('answers APIG.2000 "no valid domain name" when none of the domains is attached', async () => {
    await attach('global-1', [{ domain: 'a.example.com' }]);
    const res = await detach('global-2', [{ domain: 'a.example.com' }]);
    expect([res.status, errorOf(res)]).toEqual([
      400,
      { error_code: 'APIG.2000', error_msg: 'no valid domain name' },
    ]);
    expect(attachedTo('global-1')).toEqual([`${GATEWAY}/a.example.com`]);
    const unknown = await detach('global-1', [{ domain: 'nowhere.example.com' }]);
    expect(errorOf(unknown).error_code).toBe('APIG.3020');
  });
});

describe('delete', () => {
  it('refuses to delete an attached certificate, then deletes it once detached', async () => {
    await attach('global-1', [{ domain: 'a.example.com' }]);
    const refused = await call('DELETE', path('/global-1'));
    expect([refused.status, errorOf(refused).error_code]).toEqual([403, 'APIG.3472']);
    expect(sim.certificate('global-1')).toBeDefined();
    await detach('global-1', [{ domain: 'a.example.com' }]);
    expect((await call('DELETE', path('/global-1'))).status).toBe(204);
    expect(sim.certificate('global-1')).toBeUndefined();
  });
});

describe('create and list', () => {
  it('holds two certificates with the same name and lists both', async () => {
    const body = { name: 'same_name', cert_content: f.ec.chainPem, private_key: f.ec.keyPem };
    const first = jsonOf<{ id: string }>(await call('POST', path(), body));
    const second = jsonOf<{ id: string }>(await call('POST', path(), body));
    expect(first.id).not.toBe(second.id);
    const listed = jsonOf<{ total: number; certs: Record<string, unknown>[] }>(
      await call('GET', path('?name=same_name')),
    );
    expect(listed.certs.map((c) => c.id).sort()).toEqual([first.id, second.id].sort());
    // A list item is APIG's CertBase: no serial number or subject fields.
    expect(listed.certs[0]).not.toHaveProperty('serial_number');
    expect(listed.certs[0]).toHaveProperty('not_after');
  });

  it('requires instance_id to list on ROMA Connect', async () => {
    const res = await call('GET', path('', 'apic'));
    expect([res.status, errorOf(res).error_code]).toEqual([400, 'APIG.2001']);
    expect(errorOf(res).error_msg).toContain('instance_id');
    const scoped = jsonOf<{ certs: { id: string }[] }>(
      await call('GET', path(`?instance_id=${GATEWAY}`, 'apic')),
    );
    expect(scoped.certs.map((c) => c.id)).toEqual(['inst-1']);
  });
});

describe('the console', () => {
  it('edits the content, checked like a PUT', () => {
    sim.consoleEdit('global-1', { certContent: f.ec.chainPem, privateKey: f.ec.keyPem });
    expect(sim.certificate('global-1')).toMatchObject({
      name: 'global_one',
      serialNumber: BigInt(`0x${f.ec.serialNumber}`).toString(10),
    });
    expect(() =>
      sim.consoleEdit('global-1', { certContent: f.ec.chainPem, privateKey: f.rsa.keyPem }),
    ).toThrow('does not match');
    expect(sim.successfulPuts()).toEqual([]);
  });

  it('detaches a domain, and deletes a certificate with its attachments', async () => {
    await attach('global-1', [{ domain: 'a.example.com' }, { domain: 'b.example.com' }]);
    sim.consoleDetach('global-1', 'a.example.com');
    expect(attachedTo('global-1')).toEqual([`${GATEWAY}/b.example.com`]);
    expect(() => sim.consoleDetach('global-1', 'a.example.com')).toThrow('not attached');
    sim.consoleDelete('global-1');
    expect(sim.certificate('global-1')).toBeUndefined();
    expect(sim.domains().every((d) => d.certificateId === undefined)).toBe(true);
  });
});

describe('applyLate fault', () => {
  function put(pem: { chainPem: string; keyPem: string }): Promise<SimResponse> {
    return call('PUT', path('/global-1'), {
      name: 'global_one',
      cert_content: pem.chainPem,
      private_key: pem.keyPem,
    });
  }

  it('holds a PUT and applies it right after the next one, so the older content wins', async () => {
    sim.addFault({
      fault: { kind: 'applyLate' },
      method: 'PUT',
      certificateId: 'global-1',
      times: 1,
    });
    await expect(put(f.rsa)).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(sim.certificate('global-1')?.certContent).toBeUndefined();
    const newer = await put(f.ec);
    expect(jsonOf(newer)).toMatchObject({
      serial_number: BigInt(`0x${f.ec.serialNumber}`).toString(10),
    });
    expect(sim.certificate('global-1')?.certContent).toBe(f.rsa.chainPem);
    expect(sim.successfulPuts('global-1').map((e) => e.fault)).toEqual(['applyLate', undefined]);
  });

  it('can answer 500 instead of resetting', async () => {
    sim.addFault({
      fault: { kind: 'applyLate', answer: 'serverError' },
      method: 'PUT',
      times: 1,
    });
    const late = await put(f.rsa);
    expect([late.status, errorOf(late).error_code]).toEqual([500, 'APIG.9999']);
    await put(f.ec);
    expect(sim.certificate('global-1')?.certContent).toBe(f.rsa.chainPem);
  });

  it('answers a request that fails authentication at once and holds nothing', async () => {
    sim.addFault({ fault: { kind: 'applyLate' }, method: 'PUT', times: 1 });
    const refused = await send(sim.url, {
      method: 'PUT',
      path: path('/global-1'),
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'global_one',
        cert_content: f.rsa.chainPem,
        private_key: f.rsa.keyPem,
      }),
    });
    expect([refused.status, errorOf(refused).error_code]).toEqual([401, 'APIG.1000']);
    await put(f.ec);
    expect(sim.certificate('global-1')?.certContent).toBe(f.ec.chainPem);
  });

  it('is only for PUTs', () => {
    expect(() => sim.addFault({ fault: { kind: 'applyLate' } })).toThrow(RangeError);
    expect(() =>
      sim.addFault({ fault: { kind: 'applyLate' }, method: 'PUT', after: true }),
    ).toThrow(RangeError);
  });
});
