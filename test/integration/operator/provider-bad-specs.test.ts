// Bad provider specs, table-driven, on the real API server with the operator
// as a process: what the CRD refuses is refused at create; what only the
// operator can see ends Ready=False with a reason, and a certificate that
// names such a provider is ProviderNotReady with nothing sent.
import { randomBytes } from 'node:crypto';
import { startApigSimulator, type ApigSimulator } from '../../support/apig-simulator/index.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { Providers, clusterProvider, namespacedProvider } from '../../support/providers.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { APIG_PROVIDER_RESOURCE } from '../../../src/api/providers.ts';
import { API_VERSION } from '../../../src/api/v1alpha1.ts';

const AK = `AK${randomBytes(6).toString('hex').toUpperCase()}`;
const SK = `SK-SECRET-${randomBytes(8).toString('hex')}`;

let s: Scenario;
let region: ApigSimulator;
let providers: Providers;
let operator: OperatorProcess;

const keys = (name = 'keys') => ({ accessKey: { secretRef: { name } } });
/** Refused specs never reach APIG: a fixed endpoint will do. */
function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { endpoint: 'https://apig.example.com', projectId: 'p1', auth: keys(), ...overrides };
}
/** Specs the operator checks, against the region simulator (known only once it runs). */
const inRegion =
  (overrides: Record<string, unknown> = {}) =>
  (): Record<string, unknown> => ({
    endpoint: region.url,
    projectId: region.projectId,
    auth: keys(),
    ...overrides,
  });
const wi = (overrides: Record<string, unknown> = {}) => ({
  workloadIdentity: {
    iamEndpoint: 'https://iam.example.com',
    idpId: 'cluster',
    serviceAccountRef: { name: 'sync', audiences: ['aud'] },
    ...overrides,
  },
});
const pw = (overrides: Record<string, unknown> = {}) => ({
  iamPassword: {
    iamEndpoint: 'https://iam.example.com',
    domainName: 'acme',
    username: 'sync',
    projectName: 'cn-north-4',
    passwordSecretRef: { name: 'pw', key: 'password' },
    ...overrides,
  },
});

beforeAll(async () => {
  s = await createScenario('provider-bad');
  region = await startApigSimulator({ accessKeys: [{ ak: AK, sk: SK }] });
  providers = new Providers(s.objects, s.core);
  await providers.writeSecret(s.namespace, 'keys', {
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: SK,
  });
  await providers.writeSecret(s.namespace, 'no-sk', { HUAWEICLOUD_SDK_AK: AK });
  await providers.writeSecret(s.namespace, 'spaced', {
    HUAWEICLOUD_SDK_AK: `${AK} x`,
    HUAWEICLOUD_SDK_SK: SK,
  });
  await providers.writeSecret(s.namespace, 'wrong-sk', {
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: 'SK-WRONG',
  });
  await providers.writeSecret(s.namespace, 'pw', { other: 'x' });
  operator = s.startOperator({ WATCH_CLUSTER_PROVIDERS: 'true' });
});

afterAll(async () => {
  await s.close();
  await region.close();
});

describe('provider specs the API server refuses', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['no auth method', spec({ auth: {} }), 'exactly one of auth'],
    ['two auth methods', spec({ auth: { ...keys(), ...pw() } }), 'exactly one of auth'],
    [
      'all three auth methods',
      spec({ auth: { ...keys(), ...pw(), ...wi() } }),
      'exactly one of auth',
    ],
    ['no endpoint', { projectId: 'p1', auth: keys() }, 'endpoint'],
    ['an endpoint that is not a URL', spec({ endpoint: 'apig.example.com' }), 'endpoint'],
    ['an ftp endpoint', spec({ endpoint: 'ftp://apig.example.com' }), 'endpoint'],
    [
      'an endpoint with a user name',
      spec({ endpoint: 'https://user:pw@apig.example.com' }),
      'endpoint',
    ],
    ['an endpoint with a query', spec({ endpoint: 'https://apig.example.com/?a=1' }), 'endpoint'],
    ['no projectId', { endpoint: 'https://apig.example.com', auth: keys() }, 'projectId'],
    ['a projectId with a slash', spec({ projectId: 'a/b' }), 'projectId'],
    ['a projectId of 65 characters', spec({ projectId: 'a'.repeat(65) }), 'projectId'],
    ['an unknown service', spec({ service: 'grpc' }), 'service'],
    ['a rate of 0', spec({ rateLimit: { requestsPerSecond: 0, burst: 1 } }), 'requestsPerSecond'],
    ['a burst of 0', spec({ rateLimit: { requestsPerSecond: 1, burst: 0 } }), 'burst'],
    ['a burst above 10000', spec({ rateLimit: { requestsPerSecond: 1, burst: 10_001 } }), 'burst'],
    ['a rate limit without burst', spec({ rateLimit: { requestsPerSecond: 1 } }), 'burst'],
    ['a caBundle that is not PEM', spec({ caBundle: 'not a certificate' }), 'caBundle'],
    ['a Secret name that is not a name', spec({ auth: keys('Bad_Name') }), 'name'],
    [
      'keyless without audiences',
      spec({ auth: wi({ serviceAccountRef: { name: 'sync', audiences: [] } }) }),
      'audiences',
    ],
    ['keyless with a blank IdP ID', spec({ auth: wi({ idpId: 'has space' }) }), 'idpId'],
    [
      'an IAM password without username',
      spec({ auth: { iamPassword: { ...pw().iamPassword, username: undefined } } }),
      'username',
    ],
  ])('%s', async (_case, body, field) => {
    const name = `bad-${randomBytes(3).toString('hex')}`;
    const created = s.objects.createNamespacedCustomObject({
      ...APIG_PROVIDER_RESOURCE,
      namespace: s.namespace,
      body: { apiVersion: API_VERSION, kind: 'ApigProvider', metadata: { name }, spec: body },
    });
    await expect(created).rejects.toMatchObject({ code: 422 });
    await expect(created.catch((e: { body?: string }) => String(e.body))).resolves.toContain(field);
  });
});

describe('provider specs the operator reports', () => {
  it.each<[string, ReturnType<typeof namespacedProvider>, () => Record<string, unknown>, string]>([
    [
      'a missing Secret',
      namespacedProvider('', 'missing'),
      inRegion({ auth: keys('absent') }),
      'SecretNotFound',
    ],
    [
      'a Secret without the SK',
      namespacedProvider('', 'no-sk'),
      inRegion({ auth: keys('no-sk') }),
      'SecretKeyNotFound',
    ],
    [
      'an AK with a space',
      namespacedProvider('', 'spaced'),
      inRegion({ auth: keys('spaced') }),
      'InvalidCredentials',
    ],
    [
      'a wrong SK',
      namespacedProvider('', 'wrong-sk'),
      inRegion({ auth: keys('wrong-sk') }),
      'CredentialsRefused',
    ],
    [
      'a password Secret without the key',
      namespacedProvider('', 'pw'),
      inRegion({ auth: pw() }),
      'SecretKeyNotFound',
    ],
    [
      'an endpoint nobody answers',
      namespacedProvider('', 'nobody'),
      inRegion({ endpoint: 'http://127.0.0.1:9' }),
      'EndpointUnreachable',
    ],
    [
      'a ClusterApigProvider outside a cluster',
      clusterProvider(`outside-${randomBytes(3).toString('hex')}`),
      inRegion(),
      'NoClusterResourceNamespace',
    ],
  ])(
    '%s: Ready=False with its reason, and its certificate sends nothing',
    async (_case, idTemplate, body, reason) => {
      const id =
        idTemplate.kind === 'ApigProvider'
          ? namespacedProvider(s.namespace, idTemplate.name)
          : idTemplate;
      await providers.create(id, body());
      try {
        const provider = await providers.waitForReady(id, 'False', reason);
        const message = provider.status?.conditions?.[0]?.message ?? '';
        expect(message).not.toContain(SK);
        const certificate = `uses-${id.name}`.slice(0, 40);
        await s.writeTlsSecret(`${certificate}-tls`, await s.issue());
        await s.createCertificate(
          certificate,
          { certificateId: `cert-${certificate}`, providerRef: { kind: id.kind, name: id.name } },
          { seed: false },
        );
        const ready = await s.waitForReady(certificate, 'False', 'ProviderNotReady');
        expect(ready.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
          reason,
        );
        await sleep(300);
        expect(region.successfulPuts().length + s.simulator.successfulPuts().length).toBe(0);
      } finally {
        if (id.kind === 'ClusterApigProvider') await providers.delete(id);
      }
    },
  );

  it('a wrong SK is tried once, not in a loop (AK lock-out)', async () => {
    await sleep(2_000);
    const signed = region.requests().filter((r) => r.status === 401);
    // The check and the client's one retry after a 401: no more.
    expect(signed.length).toBeLessThanOrEqual(2);
    expect(region.accessKeyLockedUntil(AK)).toBeUndefined();
  });

  it('the operator is still up and serving', async () => {
    expect(await operator.probe('/readyz')).toBe(200);
  });
});
