// Keyless ApigProviders end to end: the operator asks the test apiserver for
// a ServiceAccount token (TokenRequest, the provider's audiences) and the
// simulator's IAM verifies it against the apiserver's own issuer and JWKS
// before it issues an X-Auth-Token; short IAM tokens make every sync renew.
import { startApigSimulator, type ApigSimulator } from '../../support/apig-simulator/index.ts';
import { tlsSecretData } from '../../support/certs.ts';
import { eventually } from '../../support/eventually.ts';
import { kubectl } from '../../support/kube.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import {
  Providers,
  namespacedProvider,
  serviceAccountSubject,
  testClusterIdentityProvider,
  workloadIdentitySpec,
} from '../../support/providers.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { exchangedIdTokensIn, findLeaks } from './leak-scan.ts';

const IDP = 'tenant-cluster-oidc';
const AUDIENCE = 'apig-cert-operator.provider.test';
const SERVICE_ACCOUNT = 'apig-sync';
const EXCHANGE_PATH = '/v3.0/OS-AUTH/id-token/tokens';

let s: Scenario;
/** The keyless provider's region: its IAM knows the test cluster as an identity provider. */
let region: ApigSimulator;
let providers: Providers;
let operator: OperatorProcess;

const exchanges = () => region.requests().filter((r) => r.path === EXCHANGE_PATH);

const keylessSpec = (serviceAccount: string, audiences: string[]) =>
  workloadIdentitySpec(region, IDP, serviceAccount, audiences);

beforeAll(async () => {
  s = await createScenario('prov-keyless');
  region = await startApigSimulator({
    identityProviders: [
      testClusterIdentityProvider(
        IDP,
        [AUDIENCE],
        [serviceAccountSubject(s.namespace, SERVICE_ACCOUNT)],
      ),
    ],
    // Short IAM tokens: a sync a few seconds later exchanges again.
    tokenLifetimeMs: 2_000,
  });
  kubectl('-n', s.namespace, 'create', 'serviceaccount', SERVICE_ACCOUNT);
  providers = new Providers(s.objects, s.core);
  await providers.create(
    namespacedProvider(s.namespace, 'keyless'),
    keylessSpec(SERVICE_ACCOUNT, [AUDIENCE]),
  );
  operator = s.startOperator({ WATCH_CLUSTER_PROVIDERS: 'false' });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await region?.close();
});

describe('a keyless ApigProvider', () => {
  it('is Ready once IAM accepted a real ServiceAccount token for it', async () => {
    await providers.waitForReady(namespacedProvider(s.namespace, 'keyless'), 'True');
    const accepted = exchanges().filter((e) => e.status === 201);
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted[0]?.idTokenSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('syncs with the exchanged token and renews it (a new ServiceAccount token) when it expires', async () => {
    region.seedCertificate({ id: 'cert-keyless', name: 'shop_cert' });
    await s.writeTlsSecret('keyless-shop-tls', await s.issue());
    await s.createCertificate(
      'keyless-shop',
      {
        certificateId: 'cert-keyless',
        secretRef: { name: 'keyless-shop-tls' },
        providerRef: { kind: 'ApigProvider', name: 'keyless' },
      },
      { seed: false },
    );
    await s.waitForReady('keyless-shop');
    expect(region.successfulPuts('cert-keyless').map((p) => p.auth)).toEqual(['token']);
    const before = new Set(exchanges().map((e) => e.idTokenSha256));
    // The IAM token lives 2 s: the next PUT needs a new exchange, with a new ServiceAccount token.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await s.core.replaceNamespacedSecret({
      name: 'keyless-shop-tls',
      namespace: s.namespace,
      body: {
        metadata: { name: 'keyless-shop-tls' },
        type: 'kubernetes.io/tls',
        data: tlsSecretData(await s.issue('renewed.example.com')),
      },
    });
    await eventually('the renewed certificate in APIG', () =>
      Promise.resolve(
        region.certificate('cert-keyless')?.commonName === 'renewed.example.com' ? true : undefined,
      ),
    );
    const fresh = exchanges().filter((e) => e.status === 201 && !before.has(e.idTokenSha256));
    expect(fresh.length).toBeGreaterThan(0);
    expect(region.successfulPuts('cert-keyless').length).toBe(2);
  });

  it('with an audience IAM does not accept: Ready=False with IAM’s refusal, nothing sent', async () => {
    const id = namespacedProvider(s.namespace, 'wrong-audience');
    await providers.create(id, keylessSpec(SERVICE_ACCOUNT, ['someone-else']));
    const provider = await providers.waitForReady(id, 'False', 'CredentialsRefused');
    expect(provider.status?.conditions?.[0]?.message).toMatch(/IAM|40[013]/);
  });

  it('with a ServiceAccount IAM’s rules do not map: Ready=False, nothing sent', async () => {
    kubectl('-n', s.namespace, 'create', 'serviceaccount', 'unmapped');
    const id = namespacedProvider(s.namespace, 'unmapped');
    await providers.create(id, keylessSpec('unmapped', [AUDIENCE]));
    await providers.waitForReady(id, 'False', 'CredentialsRefused');
  });

  it('with a ServiceAccount that does not exist: ServiceAccountTokenFailed', async () => {
    const id = namespacedProvider(s.namespace, 'no-account');
    await providers.create(id, keylessSpec('nobody', [AUDIENCE]));
    const provider = await providers.waitForReady(id, 'False', 'ServiceAccountTokenFailed');
    expect(provider.status?.conditions?.[0]?.message).toContain('nobody');
  });

  it('leaks no ServiceAccount token and no X-Auth-Token', async () => {
    expect(exchangedIdTokensIn(operator.output(), exchanges())).toEqual([]);
    const metrics = await operator.metrics();
    const issued = region.issuedTokens();
    expect(issued.length).toBeGreaterThanOrEqual(2);
    for (const token of issued) expect(metrics).not.toContain(token);
    expect(
      await findLeaks({ scenario: s, operators: [operator], secrets: [s.token, ...issued] }),
    ).toEqual([]);
  });
});
