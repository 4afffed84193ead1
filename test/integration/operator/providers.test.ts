// Providers on the real API server, the operator as a process, two APIG
// simulators as two regions: ApigProviders in two namespaces, a
// ClusterApigProvider used from both, isolation, credentials rotated in place,
// a provider deleted and recreated, a resource moved to another provider, and
// a leak scan of every surface for every credential.
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_PROJECT_NAME,
  FAILURES_BEFORE_LOCK,
  startApigSimulator,
  type ApigSimulator,
} from '../../support/apig-simulator/index.ts';
import { createTestNamespace } from '../../support/kube.ts';
import { metricValue } from '../../support/metrics-text.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import {
  Providers,
  certificateReady,
  clusterProvider,
  createCertificateIn,
  namespacedProvider,
} from '../../support/providers.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { eventually } from '../../support/eventually.ts';
import { findLeaks } from './leak-scan.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';
import { PACE } from '../../../src/apig/pacer.ts';

const REGION_A_PROJECT = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const REGION_B_PROJECT = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';
const key = (prefix: string) => `${prefix}${randomBytes(8).toString('hex').toUpperCase()}`;
const AK_A = key('AKA');
const SK_A = key('SK-SECRET-A-');
const AK_A2 = key('AKA2');
const SK_A2 = key('SK-SECRET-A2-');
const AK_BAD = key('AKBAD');
const SK_BAD = key('SK-SECRET-BAD-');
const AK_B = key('AKB');
const SK_B = key('SK-SECRET-B-');
const AK_SHARED = key('AKS');
const SK_SHARED = key('SK-SECRET-S-');
const IAM_USER = { domain: 'acme', name: 'apig-sync', project: DEFAULT_PROJECT_NAME };
const PASSWORD_1 = key('PASSWORD-ONE-');
const PASSWORD_2 = key('PASSWORD-TWO-');
const TOKEN_PATH = '/v3/auth/tokens';

let s: Scenario;
let nsB: string;
let nsOps: string;
let regionA: ApigSimulator;
let regionB: ApigSimulator;
let providers: Providers;
let operator: OperatorProcess;
const operators: OperatorProcess[] = [];
const OPERATOR_ENV = () => ({
  WATCH_NAMESPACES: `${s.namespace},${nsB},${nsOps}`,
  WATCH_CLUSTER_PROVIDERS: 'true',
  CLUSTER_RESOURCE_NAMESPACE: nsOps,
});
const shared = clusterProvider(`shared-${randomBytes(3).toString('hex')}`);

const putsTo = (region: ApigSimulator, id?: string) => region.successfulPuts(id).length;
/** The AK that signed each request to `region` from its `from`-th on, in arrival order. */
const signersSince = (region: ApigSimulator, from: number) =>
  region
    .requests()
    .slice(from)
    .flatMap((r) => (r.caller?.kind === 'accessKey' ? [r.caller.accessKey] : []));
/** Until `region`'s certificate `id` holds the certificate issued for `commonName`. */
const holds = (region: ApigSimulator, id: string, commonName: string) =>
  eventually(`${commonName} in ${id}`, () =>
    Promise.resolve(region.certificate(id)?.commonName === commonName ? true : undefined),
  );
const allPuts = (id: string) => putsTo(regionA, id) + putsTo(regionB, id) + putsTo(s.simulator, id);

async function certificateIn(
  namespace: string,
  name: string,
  certificateId: string,
  providerRef: Record<string, string> | undefined,
  region: ApigSimulator | undefined,
): Promise<void> {
  const project = region === regionA ? REGION_A_PROJECT : REGION_B_PROJECT;
  region?.seedCertificate({ id: certificateId, name: 'shop_cert', projectId: project });
  await createCertificateIn(s, namespace, name, certificateId, providerRef);
}

const readyIn = (namespace: string, name: string, status?: 'True' | 'False', reason?: string) =>
  certificateReady(s.objects, namespace, name, status, reason);

function accessKeySpec(endpoint: string, projectId: string, secret: string) {
  return { endpoint, projectId, auth: { accessKey: { secretRef: { name: secret } } } };
}

beforeAll(async () => {
  s = await createScenario('providers');
  nsB = await createTestNamespace('providers-b');
  nsOps = await createTestNamespace('providers-ops');
  regionA = await startApigSimulator({
    projects: [REGION_A_PROJECT],
    accessKeys: [
      { ak: AK_A, sk: SK_A },
      { ak: AK_A2, sk: SK_A2 },
    ],
    users: [{ ...IAM_USER, password: PASSWORD_1 }],
  });
  regionB = await startApigSimulator({
    projects: [REGION_B_PROJECT],
    accessKeys: [
      { ak: AK_B, sk: SK_B },
      { ak: AK_SHARED, sk: SK_SHARED },
    ],
  });
  providers = new Providers(s.objects, s.core);
  await providers.writeSecret(s.namespace, 'region-a-keys', {
    HUAWEICLOUD_SDK_AK: AK_A,
    HUAWEICLOUD_SDK_SK: SK_A,
  });
  await providers.writeSecret(nsB, 'region-b-keys', { ak: AK_B, sk: SK_B });
  await providers.writeSecret(nsOps, 'shared-keys', {
    HUAWEICLOUD_SDK_AK: AK_SHARED,
    HUAWEICLOUD_SDK_SK: SK_SHARED,
  });
  // A Secret of the same name in a tenant namespace: a ClusterApigProvider must never read it.
  await providers.writeSecret(s.namespace, 'tenant-only-keys', {
    HUAWEICLOUD_SDK_AK: AK_A,
    HUAWEICLOUD_SDK_SK: SK_A,
  });
  await providers.create(
    namespacedProvider(s.namespace, 'region-a'),
    accessKeySpec(regionA.url, REGION_A_PROJECT, 'region-a-keys'),
  );
  await providers.create(namespacedProvider(nsB, 'region-b'), {
    endpoint: regionB.url,
    projectId: REGION_B_PROJECT,
    auth: {
      accessKey: {
        secretRef: { name: 'region-b-keys', accessKeyIdKey: 'ak', secretAccessKeyKey: 'sk' },
      },
    },
  });
  await providers.create(shared, accessKeySpec(regionB.url, REGION_B_PROJECT, 'shared-keys'));
  operator = s.startOperator(OPERATOR_ENV());
  operators.push(operator);
});

afterAll(async () => {
  await s.close();
  await Promise.all([regionA.close(), regionB.close()]);
  await providers.delete(shared).catch(() => undefined);
});

describe('providers', () => {
  it('proves each provider’s credentials before it is Ready, and reports it per provider', async () => {
    for (const id of [
      namespacedProvider(s.namespace, 'region-a'),
      namespacedProvider(nsB, 'region-b'),
      shared,
    ]) {
      const provider = await providers.waitForReady(id, 'True', 'CredentialsVerified');
      expect(provider.status?.observedGeneration).toBe(provider.metadata.generation);
    }
    // The check is a signed read: a list, never a write.
    expect(regionA.requests().filter((r) => r.method === 'GET').length).toBeGreaterThan(0);
    expect(putsTo(regionA) + putsTo(regionB)).toBe(0);
    const metrics = await operator.metrics();
    expect(
      metricValue(metrics, 'apig_provider_ready', { provider: `${s.namespace}/region-a` }),
    ).toBe(1);
    expect(metricValue(metrics, 'apig_provider_ready', { provider: `${nsB}/region-b` })).toBe(1);
    expect(
      metricValue(metrics, 'apig_provider_ready', { provider: `cluster/${shared.name}` }),
    ).toBe(1);
  });

  it('sends each namespace’s certificates to its own provider’s region and project', async () => {
    await certificateIn(s.namespace, 'shop-a', 'cert-a', { name: 'region-a' }, regionA);
    await certificateIn(nsB, 'shop-b', 'cert-b', { name: 'region-b' }, regionB);
    await certificateIn(s.namespace, 'plain', 'cert-env', undefined, undefined);
    s.simulator.seedCertificate({ id: 'cert-env', name: 'shop_cert' });
    await readyIn(s.namespace, 'shop-a');
    await readyIn(nsB, 'shop-b');
    await readyIn(s.namespace, 'plain');
    expect([
      putsTo(regionA, 'cert-a'),
      putsTo(regionB, 'cert-a'),
      putsTo(s.simulator, 'cert-a'),
    ]).toEqual([1, 0, 0]);
    expect([
      putsTo(regionA, 'cert-b'),
      putsTo(regionB, 'cert-b'),
      putsTo(s.simulator, 'cert-b'),
    ]).toEqual([0, 1, 0]);
    expect(regionA.successfulPuts('cert-a')[0]?.projectId).toBe(REGION_A_PROJECT);
    expect(regionA.successfulPuts('cert-a')[0]?.auth).toBe('aksk');
    // Without providerRef: the environment configuration, as before.
    expect(putsTo(s.simulator, 'cert-env')).toBe(1);
    const metrics = await operator.metrics();
    expect(
      metricValue(metrics, 'apig_cert_operator_apig_requests_total', {
        operation: 'updateCertificate',
        provider: `${s.namespace}/region-a`,
      }),
    ).toBe(1);
    expect(
      metricValue(metrics, 'apig_cert_operator_apig_requests_total', {
        operation: 'updateCertificate',
        provider: 'environment',
      }),
    ).toBe(1);
    // Each client's pacer: PACE.aim of APIG_RATE_LIMIT (the providers set none), never throttled.
    for (const provider of [`${s.namespace}/region-a`, `${nsB}/region-b`, 'environment']) {
      expect(
        metricValue(metrics, 'apig_cert_operator_apig_request_rate', { provider }),
      ).toBeCloseTo(50 * PACE.aim, 6);
      expect(metricValue(metrics, 'apig_cert_operator_apig_throttled_total', { provider })).toBe(0);
    }
  });

  it('serves a ClusterApigProvider to every namespace', async () => {
    await certificateIn(
      s.namespace,
      'shared-a',
      'cert-shared-a',
      { kind: 'ClusterApigProvider', name: shared.name },
      regionB,
    );
    await certificateIn(
      nsB,
      'shared-b',
      'cert-shared-b',
      { kind: 'ClusterApigProvider', name: shared.name },
      regionB,
    );
    await readyIn(s.namespace, 'shared-a');
    await readyIn(nsB, 'shared-b');
    expect(putsTo(regionB, 'cert-shared-a') + putsTo(regionB, 'cert-shared-b')).toBe(2);
  });

  it('never lets a certificate use an ApigProvider of another namespace', async () => {
    const before = regionB.requests().length;
    await certificateIn(s.namespace, 'steal', 'cert-steal', { name: 'region-b' }, undefined);
    const ready = await readyIn(s.namespace, 'steal', 'False', 'ProviderNotFound');
    expect(ready.message).toContain(`ApigProvider ${s.namespace}/region-b`);
    await sleep(1_000);
    expect(allPuts('cert-steal')).toBe(0);
    // Nothing at all went to region B on its behalf.
    expect(
      regionB
        .requests()
        .slice(before)
        .filter((r) => r.certificateId === 'cert-steal'),
    ).toEqual([]);
  });

  it('reads a ClusterApigProvider’s Secret only from the operator’s namespace', async () => {
    const id = clusterProvider(`tenant-secret-${randomBytes(3).toString('hex')}`);
    await providers.create(id, accessKeySpec(regionA.url, REGION_A_PROJECT, 'tenant-only-keys'));
    try {
      const provider = await providers.waitForReady(id, 'False', 'SecretNotFound');
      const message = provider.status?.conditions?.[0]?.message ?? '';
      expect(message).toContain(`${nsOps}/tenant-only-keys`);
    } finally {
      await providers.delete(id);
    }
  });

  it('does not serve an ApigProvider in the operator’s own namespace, where its credentials are', async () => {
    const id = namespacedProvider(nsOps, 'borrow');
    await providers.create(id, accessKeySpec(regionB.url, REGION_B_PROJECT, 'shared-keys'));
    await providers.waitForReady(id, 'False', 'NamespaceReserved');
  });

  it('signs every call with a rotated key from the next one on, without a restart and without a PUT', async () => {
    const putsBefore = putsTo(regionA);
    const from = regionA.requests().length;
    // Both keys are valid in region A: only the Secret says which one to use.
    await providers.writeSecret(s.namespace, 'region-a-keys', {
      HUAWEICLOUD_SDK_AK: AK_A2,
      HUAWEICLOUD_SDK_SK: SK_A2,
    });
    // The Secret change re-checks the provider: a signed read, with the new key.
    await eventually('a call signed with the new key', () =>
      Promise.resolve(signersSince(regionA, from).includes(AK_A2) ? true : undefined),
    );
    await providers.waitForReady(namespacedProvider(s.namespace, 'region-a'), 'True');
    await readyIn(s.namespace, 'shop-a', 'True', 'Synced');
    await sleep(1_000);
    // The content is already in APIG: the new key is no reason to send it again.
    expect(putsTo(regionA)).toBe(putsBefore);
    // New content goes out signed with the new key.
    await s.writeTlsSecret('shop-a-tls', await s.issue('rotated.example.com'));
    await holds(regionA, 'cert-a', 'rotated.example.com');
    expect(putsTo(regionA)).toBe(putsBefore + 1);
    expect(regionA.successfulPuts('cert-a').at(-1)?.caller).toEqual({
      kind: 'accessKey',
      accessKey: AK_A2,
    });
    // Calls already on their way may carry the old key; none after the first with the new one.
    const signers = signersSince(regionA, from);
    expect(new Set(signers.slice(signers.indexOf(AK_A2)))).toEqual(new Set([AK_A2]));
  });

  it('a rotated key the region refuses: Ready=False, the certificate held, no lock-out; fixed, Ready without a PUT', async () => {
    const id = namespacedProvider(s.namespace, 'region-a');
    const putsBefore = putsTo(regionA);
    const from = regionA.requests().length;
    await providers.writeSecret(s.namespace, 'region-a-keys', {
      HUAWEICLOUD_SDK_AK: AK_BAD,
      HUAWEICLOUD_SDK_SK: SK_BAD,
    });
    const refused = await providers.waitForReady(id, 'False', 'CredentialsRefused');
    expect(refused.status?.conditions?.[0]?.message).toContain('401');
    await readyIn(s.namespace, 'shop-a', 'False', 'ProviderNotReady');
    // The refusals were the unknown key's, and too few to lock it (no retry loop).
    const unknownKey = regionA
      .requests()
      .slice(from)
      .filter((r) => r.caller?.kind === 'accessKey' && r.caller.accessKey === AK_BAD);
    expect(unknownKey.length).toBeGreaterThan(0);
    expect(unknownKey.length).toBeLessThan(FAILURES_BEFORE_LOCK);
    expect(unknownKey.every((r) => r.status === 401)).toBe(true);
    await providers.writeSecret(s.namespace, 'region-a-keys', {
      HUAWEICLOUD_SDK_AK: AK_A2,
      HUAWEICLOUD_SDK_SK: SK_A2,
    });
    await providers.waitForReady(id, 'True', 'CredentialsVerified');
    await readyIn(s.namespace, 'shop-a', 'True', 'Synced');
    await sleep(1_000);
    expect(putsTo(regionA)).toBe(putsBefore);
    expect(regionA.accessKeyLockedUntil(AK_BAD)).toBeUndefined();
  });

  it('fetches the next IAM token with a rotated password, without a restart and without a PUT', async () => {
    const id = namespacedProvider(s.namespace, 'region-a-iam');
    await providers.writeSecret(s.namespace, 'region-a-password', { password: PASSWORD_1 });
    await providers.create(id, {
      endpoint: regionA.url,
      projectId: REGION_A_PROJECT,
      auth: {
        iamPassword: {
          iamEndpoint: regionA.url,
          domainName: IAM_USER.domain,
          username: IAM_USER.name,
          projectName: IAM_USER.project,
          passwordSecretRef: { name: 'region-a-password', key: 'password' },
        },
      },
    });
    await providers.waitForReady(id, 'True');
    await certificateIn(s.namespace, 'shop-iam', 'cert-iam', { name: 'region-a-iam' }, regionA);
    await readyIn(s.namespace, 'shop-iam');
    const user = { kind: 'password', domain: IAM_USER.domain, user: IAM_USER.name };
    expect(regionA.successfulPuts('cert-iam').map((p) => [p.auth, p.caller])).toEqual([
      ['token', user],
    ]);
    const putsBefore = putsTo(regionA);
    const from = regionA.requests().length;
    // The user's password is changed in IAM, then in the Secret: only the new one works now.
    regionA.changePassword(IAM_USER.domain, IAM_USER.name, PASSWORD_2);
    await providers.writeSecret(s.namespace, 'region-a-password', { password: PASSWORD_2 });
    const tokenRequests = () =>
      regionA
        .requests()
        .slice(from)
        .filter((r) => r.path === TOKEN_PATH);
    // The Secret change re-checks the provider: a token IAM issued for the new password.
    await eventually('a token fetched with the new password', () =>
      Promise.resolve(tokenRequests().some((r) => r.status === 201) ? true : undefined),
    );
    await readyIn(s.namespace, 'shop-iam', 'True', 'Synced');
    await sleep(1_000);
    expect(putsTo(regionA)).toBe(putsBefore);
    await s.writeTlsSecret('shop-iam-tls', await s.issue('rotated-iam.example.com'));
    await holds(regionA, 'cert-iam', 'rotated-iam.example.com');
    expect(putsTo(regionA)).toBe(putsBefore + 1);
    // Every token request from the first the new password won on was the new password's.
    const statuses = tokenRequests().map((r) => [r.status, r.caller]);
    const first = statuses.findIndex(([status]) => status === 201);
    expect(new Set(statuses.slice(first).map(([status]) => status))).toEqual(new Set([201]));
    expect(new Set(statuses.map(([, caller]) => JSON.stringify(caller)))).toEqual(
      new Set([JSON.stringify(user)]),
    );
  });

  it('a deleted provider stops its certificates; recreated, they are Ready again without a PUT', async () => {
    const id = namespacedProvider(nsB, 'region-b');
    const spec = (await providers.get(id))!.spec;
    const putsBefore = putsTo(regionB, 'cert-b');
    await providers.delete(id);
    await readyIn(nsB, 'shop-b', 'False', 'ProviderNotFound');
    const pacerRate = async (): Promise<number | undefined> =>
      metricValue(await operator.metrics(), 'apig_cert_operator_apig_request_rate', {
        provider: `${nsB}/region-b`,
      });
    // The retired client's pacer series goes with it.
    await eventually('no pacer series for the deleted provider', async () =>
      (await pacerRate()) === undefined ? true : undefined,
    );
    await providers.create(id, spec);
    await providers.waitForReady(id, 'True');
    await readyIn(nsB, 'shop-b', 'True', 'Synced');
    expect(putsTo(regionB, 'cert-b')).toBe(putsBefore);
    const metrics = await operator.metrics();
    expect(metricValue(metrics, 'apig_provider_ready', { provider: `${nsB}/region-b` })).toBe(1);
    expect(await pacerRate()).toBeCloseTo(50 * PACE.aim, 6);
  });

  it('moving a certificate to another provider sends it once to the new target, then never again', async () => {
    await certificateIn(s.namespace, 'mover', 'cert-move', { name: 'region-a' }, regionA);
    await readyIn(s.namespace, 'mover');
    regionB.seedCertificate({ id: 'cert-move', name: 'shop_cert', projectId: REGION_B_PROJECT });
    await s.objects.patchNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'mover',
      body: [
        {
          op: 'replace',
          path: '/spec/providerRef',
          value: { kind: 'ClusterApigProvider', name: shared.name },
        },
      ],
    });
    await eventually('cert-move in region B', () =>
      Promise.resolve(putsTo(regionB, 'cert-move') === 1 ? true : undefined),
    );
    await readyIn(s.namespace, 'mover');
    // A restart reads the same digest: nothing more is sent.
    await operator.stop('SIGTERM');
    operator = s.startOperator(OPERATOR_ENV());
    operators.push(operator);
    await operator.waitForLog(
      (l) => l.msg === 'reconciled' && l.resource === `${s.namespace}/mover`,
    );
    await sleep(1_000);
    expect([putsTo(regionA, 'cert-move'), putsTo(regionB, 'cert-move')]).toEqual([1, 1]);
  });

  it('leaks no credential into logs, events, status or metrics', async () => {
    const metrics = await operator.metrics();
    const leaks = await findLeaks({
      scenario: s,
      operators,
      extraNamespaces: [nsB, nsOps],
      secrets: [
        s.token,
        SK_A,
        SK_A2,
        SK_BAD,
        SK_B,
        SK_SHARED,
        PASSWORD_1,
        PASSWORD_2,
        ...regionA.issuedTokens(),
      ],
    });
    expect(leaks).toEqual([]);
    for (const secret of [SK_A, SK_A2, SK_BAD, SK_B, SK_SHARED, PASSWORD_1, PASSWORD_2])
      expect(metrics).not.toContain(secret);
  });
});
