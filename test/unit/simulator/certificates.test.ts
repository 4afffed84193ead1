import { startApigSimulator } from '../../support/apig-simulator/index.ts';
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import { makeFixtures } from './fixtures.ts';
import type { Fixtures } from './fixtures.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { errorOf, jsonOf, send } from './helpers.ts';
import type { SimResponse } from './helpers.ts';

const TOKEN = 'static-token';
const INSTANCE = 'eddc4d25480b4cd6b512f270a1b8b341';
const SECRET_FIELDS = [
  'cert_content',
  'private_key',
  'trusted_root_ca',
  'cert_content_sign',
  'private_key_sign',
];

let f: Fixtures;
let sim: ApigSimulator;
let clock: FakeClock;

beforeAll(async () => {
  f = await makeFixtures();
});

beforeEach(async () => {
  clock = new FakeClock(Date.now());
  sim = await startApigSimulator({ staticTokens: [TOKEN], now: () => clock.date() });
  sim.seedCertificate({ id: 'global-1', name: 'global_one' });
  sim.seedCertificate({
    id: 'inst-1',
    name: 'instance_one',
    type: 'instance',
    instanceId: INSTANCE,
  });
});

afterEach(() => sim.close());

type Service = 'apigw' | 'apic';

function base(service: Service = 'apigw'): string {
  return `/v2/${sim.projectId}/${service}/certificates`;
}

function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<SimResponse> {
  return send(sim.url, {
    method,
    path,
    headers: {
      'X-Auth-Token': TOKEN,
      ...(body !== undefined ? { 'Content-Type': 'application/json;charset=UTF-8' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
}

function putGlobal(
  body: Record<string, unknown>,
  service: Service = 'apigw',
): Promise<SimResponse> {
  return call('PUT', `${base(service)}/global-1`, body);
}

function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'global_one',
    cert_content: f.chained.chainPem,
    private_key: f.chained.keyPem,
    ...overrides,
  };
}

function sm2Body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return validBody({
    algorithm_type: 'SM2',
    cert_content: f.sm2.certPem,
    private_key: f.sm2.keyPem,
    cert_content_sign: f.sm2Sign.certPem,
    private_key_sign: f.sm2Sign.keyPem,
    ...overrides,
  });
}

describe.each(['apigw', 'apic'] as const)('certificate operations on /%s/', (service) => {
  it('modifies a certificate and answers the fields derived from the PEM sent', async () => {
    const res = await putGlobal(validBody(), service);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json;charset=UTF-8');
    const body = jsonOf(res);
    expect(body).toMatchObject({
      id: 'global-1',
      name: 'global_one',
      type: 'global',
      instance_id: 'common',
      project_id: sim.projectId,
      common_name: 'api.example.com',
      san: ['api.example.com'],
      not_after: f.chained.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      not_before: f.chained.notBefore.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      serial_number: BigInt(`0x${f.chained.serialNumber}`).toString(10),
      signature_algorithm: 'ECDSA-SHA256',
      algorithm_type: 'ECC',
      is_has_trusted_root_ca: false,
      version: 3,
      issuer: ['Test Intermediate CA'],
    });
    for (const field of SECRET_FIELDS) expect(body).not.toHaveProperty(field);
    expect(sim.certificate('global-1')).toMatchObject({
      certContent: f.chained.chainPem,
      commonName: 'api.example.com',
    });
    expect(sim.successfulPuts('global-1')).toHaveLength(1);
  });

  it('creates, shows, lists and deletes a certificate', async () => {
    const created = await call('POST', base(service), validBody({ name: 'created_cert' }));
    expect(created.status).toBe(200);
    const id = jsonOf(created).id as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);

    const shown = await call('GET', `${base(service)}/${id}`);
    expect(jsonOf(shown)).toEqual(jsonOf(created));

    const domains = await call('GET', `${base(service)}/${id}/attached-domains`);
    expect(jsonOf(domains)).toEqual({ size: 0, total: 0, bound_domains: [] });

    const deleted = await call('DELETE', `${base(service)}/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    const gone = await call('GET', `${base(service)}/${id}`);
    expect(gone.status).toBe(404);
    expect(errorOf(gone).error_code).toBe('APIG.3025');
  });
});

describe('response fields', () => {
  it('reads subject, issuer, SANs and a decimal serial number from the certificate', async () => {
    const res = await putGlobal(
      validBody({ cert_content: f.detailed.certPem, private_key: f.detailed.keyPem }),
    );
    expect(jsonOf(res)).toMatchObject({
      common_name: 'shop.example.com',
      san: ['shop.example.com', 'www.shop.example.com', '192.0.2.10'],
      serial_number: '13010',
      organization: ['Example Corp'],
      organizational_unit: ['Platform'],
      locality: ['Shenzhen'],
      state: ['Guangdong'],
      country: ['CN'],
      issuer: ['Test Root CA'],
    });
  });

  it('names RSA signatures like Go does and detects the RSA algorithm type', async () => {
    const res = await putGlobal(
      validBody({ cert_content: f.rsa.certPem, private_key: f.rsa.keyPem }),
    );
    expect(jsonOf(res)).toMatchObject({ signature_algorithm: 'SHA256-RSA', algorithm_type: 'RSA' });
  });

  it('accepts PKCS#1 and SEC1 private keys', async () => {
    expect(
      (await putGlobal(validBody({ cert_content: f.rsa.certPem, private_key: f.rsaPkcs1Key })))
        .status,
    ).toBe(200);
    const ec = await putGlobal(validBody({ cert_content: f.ec.certPem, private_key: f.ecSec1Key }));
    expect(jsonOf(ec)).toMatchObject({
      signature_algorithm: 'ECDSA-SHA384',
      algorithm_type: 'ECC',
    });
  });

  it('keeps create_time and moves update_time on modify', async () => {
    const before = jsonOf(await call('GET', `${base()}/global-1`));
    await clock.advance(60_000);
    const after = jsonOf(await putGlobal(validBody()));
    expect(after.create_time).toBe(before.create_time);
    expect(Date.parse(after.update_time as string) - Date.parse(before.update_time as string)).toBe(
      60_000,
    );
  });

  it('sets is_has_trusted_root_ca for an instance certificate, and a modify without it clears it', async () => {
    const path = `${base()}/inst-1`;
    const instanceBody = validBody({
      name: 'instance_one',
      type: 'instance',
      instance_id: INSTANCE,
    });
    const withCa = await call('PUT', path, { ...instanceBody, trusted_root_ca: f.rootPem });
    expect(jsonOf(withCa)).toMatchObject({
      is_has_trusted_root_ca: true,
      instance_id: INSTANCE,
      type: 'instance',
    });
    expect(jsonOf(withCa)).not.toHaveProperty('trusted_root_ca');
    expect(sim.certificate('inst-1')?.trustedRootCa).toBe(f.rootPem);
    const without = await call('PUT', path, instanceBody);
    expect(jsonOf(without).is_has_trusted_root_ca).toBe(false);
  });

  it('accepts names with letters of any script', async () => {
    for (const name of ['证书_2024', 'Zertifikat_äöü', 'abcd', 'a'.repeat(50)]) {
      const res = await putGlobal(validBody({ name }));
      expect([name, res.status]).toEqual([name, 200]);
    }
  });

  it('accepts an SM2 encryption pair with its signing pair, and keeps both', async () => {
    const res = await putGlobal(sm2Body());
    expect(res.status).toBe(200);
    expect(jsonOf(res)).toMatchObject({
      algorithm_type: 'SM2',
      signature_algorithm: 'SM2-SM3',
      common_name: 'sm2.example.com',
    });
    expect(sim.certificate('global-1')).toMatchObject({
      certContentSign: f.sm2Sign.certPem,
      privateKeySign: f.sm2Sign.keyPem,
    });
  });

  it('accepts a certificate expiring at 2038-01-19T03:14:07Z exactly', async () => {
    const res = await putGlobal(
      validBody({ cert_content: f.lastSecond2038.certPem, private_key: f.lastSecond2038.keyPem }),
    );
    expect(jsonOf(res).not_after).toBe('2038-01-19T03:14:07Z');
  });
});

interface Row {
  label: string;
  body: () => Record<string, unknown>;
  status: number;
  code: string;
  message?: string;
}

const rejected: Row[] = [
  {
    label: 'no name',
    body: () => validBody({ name: undefined }),
    status: 400,
    code: 'APIG.2001',
    message: 'parameterName:name',
  },
  {
    label: 'an empty cert_content',
    body: () => validBody({ cert_content: '' }),
    status: 400,
    code: 'APIG.2001',
    message: 'parameterName:cert_content',
  },
  {
    label: 'no private_key',
    body: () => validBody({ private_key: undefined }),
    status: 400,
    code: 'APIG.2001',
    message: 'parameterName:private_key',
  },
  {
    label: 'a 3-character name',
    body: () => validBody({ name: 'abc' }),
    status: 400,
    code: 'APIG.2012',
    message: 'Invalid parameter value,parameterName:name',
  },
  {
    label: 'a 51-character name',
    body: () => validBody({ name: 'a'.repeat(51) }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'a name starting with a digit',
    body: () => validBody({ name: '1cert' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'a name starting with _',
    body: () => validBody({ name: '_cert' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'a name with a hyphen',
    body: () => validBody({ name: 'my-cert' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'a name with a space',
    body: () => validBody({ name: 'my cert' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'a name that is not a string',
    body: () => validBody({ name: 1234 }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:name',
  },
  {
    label: 'an unknown type',
    body: () => validBody({ type: 'regional' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:type',
  },
  {
    label: 'type changed to instance',
    body: () => validBody({ type: 'instance', instance_id: INSTANCE }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:type',
  },
  {
    label: 'an unknown algorithm_type',
    body: () => validBody({ algorithm_type: 'DSA' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:algorithm_type',
  },
  {
    label: 'algorithm_type RSA for an EC key',
    body: () => validBody({ algorithm_type: 'RSA' }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:algorithm_type',
  },
  {
    label: 'SM2 without cert_content_sign',
    body: () => validBody({ algorithm_type: 'SM2' }),
    status: 400,
    code: 'APIG.2001',
    message: 'parameterName:cert_content_sign',
  },
  {
    label: 'SM2 without private_key_sign',
    body: () => validBody({ algorithm_type: 'SM2', cert_content_sign: f.chained.certPem }),
    status: 400,
    code: 'APIG.2001',
    message: 'parameterName:private_key_sign',
  },
  {
    label: 'SM2 declared for an EC pair',
    body: () =>
      validBody({
        algorithm_type: 'SM2',
        cert_content_sign: f.ec.certPem,
        private_key_sign: f.ec.keyPem,
      }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:algorithm_type',
  },
  {
    label: 'trusted_root_ca on a global certificate',
    body: () => validBody({ trusted_root_ca: f.rootPem }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:trusted_root_ca',
  },
  {
    label: 'an SM2 pair without algorithm_type SM2',
    body: () => validBody({ cert_content: f.sm2.certPem, private_key: f.sm2.keyPem }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:algorithm_type',
  },
  {
    label: 'SM2 with an RSA signing pair',
    body: () => sm2Body({ cert_content_sign: f.rsa.certPem, private_key_sign: f.rsa.keyPem }),
    status: 400,
    code: 'APIG.2012',
    message: 'parameterName:algorithm_type',
  },
  {
    label: 'an SM2 signing key that does not match its certificate',
    body: () => sm2Body({ private_key_sign: f.sm2.keyPem }),
    status: 400,
    code: 'APIG.2101',
  },
  {
    label: 'an Ed25519 key',
    body: () => validBody({ cert_content: f.rsa.certPem, private_key: f.ed25519Key }),
    status: 400,
    code: 'APIG.2106',
    message: 'unsupported key type',
  },
  {
    label: 'a certificate that is not PEM',
    body: () => validBody({ cert_content: 'hello' }),
    status: 400,
    code: 'APIG.2106',
    message: 'cert_content',
  },
  {
    label: 'DER base64 without PEM armour',
    body: () => validBody({ cert_content: f.chained.certPem.split('\n').slice(1, -2).join('') }),
    status: 400,
    code: 'APIG.2106',
  },
  {
    label: 'a PEM block that is not a certificate',
    body: () => validBody({ cert_content: f.chained.keyPem }),
    status: 400,
    code: 'APIG.2106',
    message: 'cert_content',
  },
  {
    label: 'a certificate with corrupt DER',
    body: () =>
      validBody({
        cert_content: '-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n',
      }),
    status: 400,
    code: 'APIG.2106',
  },
  {
    label: 'a private key that is not PEM',
    body: () => validBody({ private_key: 'not a key' }),
    status: 400,
    code: 'APIG.2106',
    message: 'private_key',
  },
  {
    label: 'a certificate as the private key',
    body: () => validBody({ private_key: f.chained.certPem }),
    status: 400,
    code: 'APIG.2106',
    message: 'private_key',
  },
  {
    label: 'two private keys',
    body: () => validBody({ private_key: f.chained.keyPem + f.ec.keyPem }),
    status: 400,
    code: 'APIG.2106',
  },
  {
    label: 'an encrypted PKCS#8 key',
    body: () => validBody({ cert_content: f.rsa.certPem, private_key: f.encryptedPkcs8 }),
    status: 400,
    code: 'APIG.2105',
  },
  {
    label: 'an encrypted traditional RSA key',
    body: () => validBody({ cert_content: f.rsa.certPem, private_key: f.encryptedPkcs1 }),
    status: 400,
    code: 'APIG.2105',
  },
  {
    label: 'an RSA key of another certificate',
    body: () => validBody({ cert_content: f.rsa.certPem, private_key: f.otherRsa.keyPem }),
    status: 400,
    code: 'APIG.2101',
  },
  {
    label: 'an EC key of another certificate',
    body: () => validBody({ cert_content: f.ec.certPem, private_key: f.otherEc.keyPem }),
    status: 400,
    code: 'APIG.2101',
  },
  {
    label: 'an EC key for an RSA certificate',
    body: () => validBody({ cert_content: f.rsa.certPem, private_key: f.ec.keyPem }),
    status: 400,
    code: 'APIG.2101',
  },
  {
    label: 'the chain in reverse order',
    body: () => validBody({ cert_content: f.reversedChain }),
    status: 400,
    code: 'APIG.2104',
  },
  {
    label: 'a leaf followed by a CA that did not issue it',
    body: () => validBody({ cert_content: f.rsa.certPem + f.rootPem, private_key: f.rsa.keyPem }),
    status: 400,
    code: 'APIG.2104',
  },
  {
    label: 'an expired certificate',
    body: () => validBody({ cert_content: f.expired.certPem, private_key: f.expired.keyPem }),
    status: 400,
    code: 'APIG.2102',
  },
  {
    label: 'a certificate without SAN',
    body: () => validBody({ cert_content: f.noSan.certPem, private_key: f.noSan.keyPem }),
    status: 400,
    code: 'APIG.2109',
  },
  {
    label: 'a certificate expiring after 2038-01-19T03:14:07Z',
    body: () => validBody({ cert_content: f.after2038.certPem, private_key: f.after2038.keyPem }),
    status: 400,
    code: 'APIG.3148',
  },
];

describe('what the real service rejects is rejected with the same code', () => {
  it.each(rejected)('$label → $status $code', async ({ body, status, code, message }: Row) => {
    const res = await putGlobal(body());
    expect(res.status).toBe(status);
    const error = errorOf(res);
    expect(error.error_code).toBe(code);
    if (message !== undefined) expect(error.error_msg).toContain(message);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(sim.successfulPuts()).toHaveLength(0);
    expect(sim.requests().at(-1)).toMatchObject({ status, errorCode: code, applied: false });
  });

  it('also checks the whole chain: the root may follow the intermediate', async () => {
    const res = await putGlobal(validBody({ cert_content: f.chained.chainPem + f.rootPem }));
    expect(res.status).toBe(200);
  });

  it('checks parameters before the certificate exists (400 before 404)', async () => {
    const res = await call('PUT', `${base()}/missing`, validBody({ name: 'x' }));
    expect(errorOf(res).error_code).toBe('APIG.2012');
  });

  it('answers 404 APIG.3025 for an unknown certificate, and for one in another project', async () => {
    expect(errorOf(await call('PUT', `${base()}/missing`, validBody())).error_code).toBe(
      'APIG.3025',
    );
    const other = await startApigSimulator({ projects: ['p-a', 'p-b'], staticTokens: [TOKEN] });
    try {
      other.seedCertificate({ id: 'in-b', name: 'cert_b', projectId: 'p-b' });
      const res = await send(other.url, {
        path: '/v2/p-a/apigw/certificates/in-b',
        headers: { 'X-Auth-Token': TOKEN },
      });
      expect(res.status).toBe(404);
      expect(errorOf(res).error_code).toBe('APIG.3025');
    } finally {
      await other.close();
    }
  });

  it('keeps instance_id immutable and needs it for instance certificates', async () => {
    const path = `${base()}/inst-1`;
    const missing = await call('PUT', path, validBody({ name: 'instance_one', type: 'instance' }));
    expect(errorOf(missing).error_msg).toContain('parameterName:instance_id');
    expect(errorOf(missing).error_code).toBe('APIG.2001');
    sim.addInstance('another-instance');
    const moved = await call(
      'PUT',
      path,
      validBody({ type: 'instance', instance_id: 'another-instance' }),
    );
    expect(errorOf(moved)).toMatchObject({ error_code: 'APIG.2012' });
    expect(errorOf(moved).error_msg).toContain('parameterName:instance_id');
    const toGlobal = await call('PUT', path, validBody());
    expect(errorOf(toGlobal).error_msg).toContain('parameterName:type');
  });

  it('answers 404 APIG.3030 when creating in an unknown instance', async () => {
    const res = await call(
      'POST',
      base(),
      validBody({ type: 'instance', instance_id: 'no-such-instance' }),
    );
    expect(res.status).toBe(404);
    expect(errorOf(res).error_code).toBe('APIG.3030');
    sim.addInstance('no-such-instance');
    const created = await call(
      'POST',
      base(),
      validBody({ type: 'instance', instance_id: 'no-such-instance' }),
    );
    expect(jsonOf(created)).toMatchObject({ type: 'instance', instance_id: 'no-such-instance' });
  });

  it.each([
    [
      'a body that is not JSON',
      '{"name": ',
      { 'Content-Type': 'application/json' },
      'not valid JSON',
    ],
    ['a JSON array', '[]', { 'Content-Type': 'application/json' }, 'JSON object'],
    [
      'a form content type',
      'name=x',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'Content-Type',
    ],
    ['no content type', '{}', {}, 'Content-Type'],
  ])('answers 400 APIG.2000 to %s', async (_label, body, headers, message) => {
    const res = await send(sim.url, {
      method: 'PUT',
      path: `${base()}/global-1`,
      headers: { 'X-Auth-Token': TOKEN, ...headers },
      body,
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).error_code).toBe('APIG.2000');
    expect(errorOf(res).error_msg).toContain(message);
  });

  it('answers 404 APIGW.0101 to paths and methods APIG does not have', async () => {
    for (const [method, path] of [
      ['GET', `/v2/${sim.projectId}/apigw/instances`],
      ['PATCH', `${base()}/global-1`],
      ['PUT', base()],
      ['GET', '/v3/auth/tokens'],
    ] as const) {
      const res = await call(method, path);
      expect([method, path, res.status, errorOf(res).error_code]).toEqual([
        method,
        path,
        404,
        'APIGW.0101',
      ]);
    }
  });

  it('answers 413 to a body over 1 MiB', async () => {
    const res = await putGlobal(validBody({ cert_content: 'x'.repeat(1024 * 1024) }));
    expect(res.status).toBe(413);
  });
});

describe('list', () => {
  beforeEach(() => {
    for (let i = 0; i < 23; i += 1)
      sim.seedCertificate({ id: `bulk-${i}`, name: `bulk_${String(i).padStart(2, '0')}` });
  });

  it('pages with offset and limit (default 20) and reports size and total', async () => {
    const first = jsonOf<{ size: number; total: number; certs: { id: string }[] }>(
      await call('GET', base()),
    );
    expect(first).toMatchObject({ size: 20, total: 25 });
    expect(first.certs[0]?.id).toBe('global-1');
    const second = jsonOf<{ size: number; total: number; certs: { id: string }[] }>(
      await call('GET', `${base()}?offset=20&limit=10`),
    );
    expect(second).toMatchObject({ size: 5, total: 25 });
    expect(second.certs.map((c) => c.id)).toEqual([
      'bulk-18',
      'bulk-19',
      'bulk-20',
      'bulk-21',
      'bulk-22',
    ]);
    const all = jsonOf<{ size: number }>(
      await call('GET', `${base('apic')}?limit=500&instance_id=common`),
    );
    expect(all.size).toBe(24);
  });

  it.each([
    ['limit=501', 'limit'],
    ['limit=0', 'limit'],
    ['limit=ten', 'limit'],
    ['offset=-1', 'offset'],
    ['type=regional', 'type'],
  ])('rejects %s with APIG.2012', async (query, parameter) => {
    const res = await call('GET', `${base()}?${query}`);
    expect(res.status).toBe(400);
    expect(errorOf(res).error_msg).toContain(`parameterName:${parameter}`);
  });

  it('filters by name, type and instance_id', async () => {
    const byName = jsonOf<{ total: number }>(await call('GET', `${base()}?name=bulk_1`));
    expect(byName.total).toBe(10);
    const byInstance = jsonOf<{ certs: { id: string }[] }>(
      await call('GET', `${base()}?instance_id=${INSTANCE}`),
    );
    expect(byInstance.certs.map((c) => c.id)).toEqual(['inst-1']);
    const byType = jsonOf<{ total: number }>(await call('GET', `${base()}?type=global`));
    expect(byType.total).toBe(24);
  });
});

describe('HTTPS', () => {
  it('serves TLS with a CA the caller can trust', async () => {
    const secure = await startApigSimulator({ tls: true, staticTokens: [TOKEN] });
    try {
      expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      secure.seedCertificate({ id: 'c', name: 'cert_c' });
      const res = await send(secure.url, {
        path: `/v2/${secure.projectId}/apigw/certificates/c`,
        headers: { 'X-Auth-Token': TOKEN },
        ca: secure.caPem!,
      });
      expect(res.status).toBe(200);
      await expect(send(secure.url, { path: '/', headers: {} })).rejects.toThrow(
        /self-signed|unable to verify|certificate/,
      );
    } finally {
      await secure.close();
    }
  });
});
