import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import {
  ApigNotFoundError,
  ApigUnauthorizedError,
  createApigClient,
} from '../../../src/apig/index.ts';
import type { ApigService } from '../../../src/apig/index.ts';
import {
  AUTH_MODES,
  SECURITY_TOKEN,
  TEMP_ACCESS_KEY,
  TEMP_SECRET_KEY,
  bodyFor,
  captureLogger,
  clientFor,
  putValidLeaf,
  rejectionOf,
  shareSimulator,
  startSimulator,
  validLeaf,
} from './client-fixtures.ts';

let sim: ApigSimulator;

shareSimulator((started) => (sim = started));

const SERVICES: [ApigService, 'apigw' | 'apic'][] = [
  ['apig', 'apigw'],
  ['roma', 'apic'],
];
const combinations = AUTH_MODES.flatMap((mode) =>
  SERVICES.map(([service, segment]) => [mode, service, segment] as const),
);

describe.each(combinations)('%s on %s', (mode, service, segment) => {
  it('updates a certificate on the right path', async () => {
    const id = `cert-${mode}-${service}`;
    sim.seedCertificate({ id, name: 'placeholder_name' });
    const leaf = await validLeaf();
    const client = clientFor(sim, mode, { service });
    const logStart = sim.requests().length;
    try {
      const updated = await client.updateCertificate(
        { certificateId: id },
        bodyFor(leaf, 'app_example_com'),
      );
      expect(updated).toMatchObject({
        id,
        name: 'app_example_com',
        type: 'global',
        instanceId: 'common',
        commonName: 'app.example.com',
        san: ['app.example.com'],
        notAfter: leaf.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        serialNumber: BigInt(`0x${leaf.serialNumber}`).toString(10),
      });
      const stored = sim.certificate(id);
      expect(stored?.certContent).toBe(leaf.chainPem);
      expect(stored?.privateKey).toBe(leaf.keyPem);

      const calls = sim
        .requests()
        .slice(logStart)
        .filter((r) => r.service !== 'iam');
      expect(calls.map((r) => r.method)).toEqual(['PUT']);
      const put = sim.successfulPuts(id);
      expect(put).toHaveLength(1);
      expect(put[0]).toMatchObject({
        path: `/v2/${sim.projectId}/${segment}/certificates/${id}`,
        service: segment,
        projectId: sim.projectId,
        status: 200,
        auth: mode === 'aksk' ? 'aksk' : mode === 'token' ? 'static-token' : 'token',
      });
      expect(calls.every((r) => r.service === segment)).toBe(true);
    } finally {
      await client.close();
    }
  });
});

describe('operations', () => {
  it('sends only the body fields given, re-sending trusted_root_ca when named', async () => {
    const leaf = await validLeaf();
    sim.addInstance('instance-1');
    sim.seedCertificate({
      id: 'instance-cert',
      name: 'instance_cert',
      type: 'instance',
      instanceId: 'instance-1',
    });
    const client = clientFor(sim, 'aksk');
    try {
      const updated = await client.updateCertificate(
        { certificateId: 'instance-cert' },
        {
          ...bodyFor(leaf, 'instance_cert'),
          type: 'instance',
          instanceId: 'instance-1',
          trustedRootCa: leaf.certPem,
          algorithmType: 'ECC',
        },
      );
      expect(updated).toMatchObject({
        type: 'instance',
        instanceId: 'instance-1',
        isHasTrustedRootCa: true,
        algorithmType: 'ECC',
      });
      expect(sim.certificate('instance-cert')?.trustedRootCa).toBe(leaf.certPem);
    } finally {
      await client.close();
    }
  });

  it('uses the project of the target over the default one', async () => {
    const other = await startSimulator({ projects: ['default-project', 'other-project'] });
    other.seedCertificate({ id: 'in-other', name: 'in_other', projectId: 'other-project' });
    const client = clientFor(other, 'aksk');
    try {
      const leaf = await validLeaf();
      await client.updateCertificate(
        { certificateId: 'in-other', projectId: 'other-project' },
        bodyFor(leaf),
      );
      const error = await rejectionOf(
        client.updateCertificate({ certificateId: 'in-other' }, bodyFor(leaf)),
      );
      expect(error).toBeInstanceOf(ApigNotFoundError);
      expect(other.successfulPuts('in-other')[0]?.path).toBe(
        '/v2/other-project/apigw/certificates/in-other',
      );
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('refuses a call when neither the target nor the client names a project', async () => {
    const client = createApigClient({
      endpoint: sim.url,
      credentials: { kind: 'token', token: 'x' },
      logger: captureLogger().logger,
    });
    try {
      await expect(putValidLeaf(client, 'c')).rejects.toThrow(
        'no project ID given and no default project configured',
      );
      await expect(putValidLeaf(client, '')).rejects.toThrow(
        'updateCertificate: empty certificateId',
      );
    } finally {
      await client.close();
    }
  });

  it.each([
    ['ftp://apig.example.com', 'must be http(s)'],
    ['not a url', 'not a URL'],
    ['https://apig.example.com/?x=1', 'must not have a query'],
    ['https://user:pw@apig.example.com', 'must not contain a user name or password'],
  ])('rejects the endpoint %s', (endpoint, message) => {
    expect(() =>
      createApigClient({
        endpoint,
        credentials: { kind: 'token', token: 'x' },
        logger: captureLogger().logger,
      }),
    ).toThrow(message);
  });

  it('ignores a trailing slash of the endpoint', async () => {
    const client = clientFor(sim, 'token', { endpoint: `${sim.url}/` });
    try {
      sim.seedCertificate({ id: 'slash', name: 'slash_name' });
      await putValidLeaf(client, 'slash');
      expect(sim.requests().at(-1)?.path).toBe(`/v2/${sim.projectId}/apigw/certificates/slash`);
    } finally {
      await client.close();
    }
  });
});

describe('AK/SK with a security token (temporary keys)', () => {
  it('is accepted with X-Security-Token and refused without it', async () => {
    const leaf = await validLeaf();
    sim.seedCertificate({ id: 'temp-key', name: 'temp_key' });
    const good = clientFor(sim, 'aksk', {
      credentials: {
        kind: 'aksk',
        accessKey: TEMP_ACCESS_KEY,
        secretKey: TEMP_SECRET_KEY,
        securityToken: SECURITY_TOKEN,
      },
    });
    const missingToken = clientFor(sim, 'aksk', {
      credentials: { kind: 'aksk', accessKey: TEMP_ACCESS_KEY, secretKey: TEMP_SECRET_KEY },
    });
    try {
      await good.updateCertificate({ certificateId: 'temp-key' }, bodyFor(leaf));
      expect(sim.successfulPuts('temp-key')).toHaveLength(1);
      const error = await rejectionOf(putValidLeaf(missingToken, 'temp-key'));
      expect(error).toBeInstanceOf(ApigUnauthorizedError);
      expect(error).toMatchObject({ httpStatus: 401, errorCode: 'APIGW.0301' });
    } finally {
      await good.close();
      await missingToken.close();
    }
  });
});
