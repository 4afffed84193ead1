// A keyless ClusterApigProvider end to end, with the operator run under its
// real ServiceAccount: deploy/ applied for real, plus the Role README "Keyless
// providers" tells a platform team to create in the operator's namespace
// (deploy/examples/keyless-provider.yaml, applied there). The operator asks the
// test apiserver for tokens of the ServiceAccount in its own namespace only,
// the simulator's IAM verifies them against the apiserver's issuer and JWKS,
// and ApigCertificates in two namespaces sync with the exchanged token. Tenant
// ServiceAccounts of the same name, which IAM would accept too, are never used.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApigSimulator, type ApigSimulator } from '../../support/apig-simulator/index.ts';
import { ID_TOKEN_EXCHANGE_PATH } from '../../support/apig-simulator/iam-id-token.ts';
import { createTestNamespace, kubectl } from '../../support/kube.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import {
  Providers,
  certificateReady,
  clusterProvider,
  createCertificateIn,
  serviceAccountSubject,
  testClusterIdentityProvider,
  workloadIdentitySpec,
} from '../../support/providers.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { explained } from '../install/rbac-proof.ts';
import { RecordingProxy } from '../install/recording-proxy.ts';
import {
  DEPLOY_DIR,
  OPERATOR_NAMESPACE,
  SERVICE_ACCOUNT as OPERATOR_SERVICE_ACCOUNT,
  installDeploy,
  kubectlOk,
  parseManifests,
  removeScratch,
  serviceAccountKubeconfig,
} from '../install/support.ts';
import { exchangedIdTokensIn, findLeaks } from './leak-scan.ts';

const IDP = 'platform-cluster-oidc';
const AUDIENCE = 'apig-cert-operator.cluster-provider.test';
/** The example's ServiceAccount, the one its Role lets the operator request tokens of. */
const SERVICE_ACCOUNT = 'apig-sync';
const EXAMPLE = join(DEPLOY_DIR, 'examples', 'keyless-provider.yaml');
/** Kinds of the example applied to the operator's namespace (its ApigProvider is a tenant's). */
const RBAC_KINDS = new Set(['ServiceAccount', 'Role', 'RoleBinding']);

let s: Scenario;
let nsB: string;
/** The provider's region: its IAM knows the test cluster as an identity provider. */
let region: ApigSimulator;
let proxy: RecordingProxy;
let providers: Providers;
let operator: OperatorProcess;
const keyless = clusterProvider(`keyless-${randomBytes(3).toString('hex')}`);
/** Names a ServiceAccount of the operator's namespace that no Role lets the operator use. */
const unbound = clusterProvider(`${keyless.name}-unbound`);
const UNBOUND_ACCOUNT = `${SERVICE_ACCOUNT}-unbound`;
const operatorSubject = serviceAccountSubject(OPERATOR_NAMESPACE, SERVICE_ACCOUNT);

const tokenRequests = () => proxy.requests.filter((r) => r.resource === 'serviceaccounts/token');
const callers = () => region.requests().flatMap((r) => (r.caller ? [r.caller] : []));

/** The example's RBAC objects as a List for `kubectl -n <operator namespace>`. */
function exampleRbac(): string {
  const items = parseManifests(readFileSync(EXAMPLE, 'utf8')).filter((o) => RBAC_KINDS.has(o.kind));
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

async function certificateIn(namespace: string, name: string, certificateId: string) {
  region.seedCertificate({ id: certificateId, name: 'shop_cert' });
  await createCertificateIn(s, namespace, name, certificateId, {
    kind: 'ClusterApigProvider',
    name: keyless.name,
  });
}

beforeAll(async () => {
  installDeploy();
  s = await createScenario('prov-kc');
  nsB = await createTestNamespace('prov-kc-b');
  const tenants = [s.namespace, nsB];
  region = await startApigSimulator({
    // IAM maps the tenants' ServiceAccounts too: only the operator's choice of
    // namespace keeps their tokens out.
    identityProviders: [
      testClusterIdentityProvider(
        IDP,
        [AUDIENCE],
        [
          operatorSubject,
          ...tenants.map((ns) => serviceAccountSubject(ns, SERVICE_ACCOUNT)),
          serviceAccountSubject(OPERATOR_NAMESPACE, UNBOUND_ACCOUNT),
        ],
      ),
    ],
  });
  for (const ns of tenants) kubectl('-n', ns, 'create', 'serviceaccount', SERVICE_ACCOUNT);
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'apply', '-f', '-'], exampleRbac());
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'create', 'serviceaccount', UNBOUND_ACCOUNT]);
  providers = new Providers(s.objects, s.core);
  await providers.create(keyless, workloadIdentitySpec(region, IDP, SERVICE_ACCOUNT, [AUDIENCE]));
  await providers.create(unbound, workloadIdentitySpec(region, IDP, UNBOUND_ACCOUNT, [AUDIENCE]));
  proxy = await RecordingProxy.forTestApiserver();
  operator = s.startOperator({
    KUBECONFIG: await serviceAccountKubeconfig(
      OPERATOR_NAMESPACE,
      OPERATOR_SERVICE_ACCOUNT,
      proxy.url,
    ),
    WATCH_NAMESPACES: tenants.join(','),
    WATCH_CLUSTER_PROVIDERS: 'true',
    CLUSTER_RESOURCE_NAMESPACE: OPERATOR_NAMESPACE,
    // One replica: the deploy/ Lease in the operator namespace stays the install tests'.
    LEADER_ELECT: 'false',
    LEADER_ELECTION_NAMESPACE: undefined,
  });
}, 120_000);

afterAll(async () => {
  for (const id of [keyless, unbound]) await providers?.delete(id).catch(() => undefined);
  kubectlOk(['-n', OPERATOR_NAMESPACE, 'delete', '--ignore-not-found', '-f', '-'], exampleRbac());
  kubectlOk([
    '-n',
    OPERATOR_NAMESPACE,
    'delete',
    'serviceaccount',
    UNBOUND_ACCOUNT,
    '--ignore-not-found',
  ]);
  await s?.close();
  await region?.close();
  await proxy?.close();
  removeScratch();
}, 60_000);

describe('a keyless ClusterApigProvider', () => {
  it('is Ready once IAM exchanged a token of the ServiceAccount in the operator’s namespace', async () => {
    await explained(() => operator, providers.waitForReady(keyless, 'True'));
    const exchanges = region.requests().filter((r) => r.path === ID_TOKEN_EXCHANGE_PATH);
    expect(exchanges.map((e) => [e.status, e.caller])).toContainEqual([
      201,
      { kind: 'idToken', idpId: IDP, subject: operatorSubject },
    ]);
  });

  it('serves ApigCertificates in two namespaces, each PUT with the exchanged token', async () => {
    await certificateIn(s.namespace, 'shop-a', 'cert-kc-a');
    await certificateIn(nsB, 'shop-b', 'cert-kc-b');
    await explained(() => operator, certificateReady(s.objects, s.namespace, 'shop-a'));
    await explained(() => operator, certificateReady(s.objects, nsB, 'shop-b'));
    for (const id of ['cert-kc-a', 'cert-kc-b']) {
      expect(region.successfulPuts(id).map((p) => [p.auth, p.caller])).toEqual([
        ['token', { kind: 'idToken', idpId: IDP, subject: operatorSubject }],
      ]);
    }
  });

  it('never asks for a token of a tenant’s ServiceAccount of the same name', () => {
    const subjects = new Set(callers().flatMap((c) => (c.kind === 'idToken' ? [c.subject] : [])));
    expect(subjects).toEqual(new Set([operatorSubject]));
    const asked = new Set(tokenRequests().map((r) => `${r.namespace}/${r.name}`));
    expect(asked).toEqual(
      new Set([
        `${OPERATOR_NAMESPACE}/${SERVICE_ACCOUNT}`,
        `${OPERATOR_NAMESPACE}/${UNBOUND_ACCOUNT}`,
      ]),
    );
  });

  it('the ClusterRole grants no token creation: a ServiceAccount without the Role is refused by RBAC', async () => {
    const provider = await providers.waitForReady(unbound, 'False', 'ServiceAccountTokenFailed');
    expect(provider.status?.conditions?.[0]?.message).toContain(UNBOUND_ACCOUNT);
    const refused = proxy.requests.filter((r) => r.status === 401 || r.status === 403);
    expect(new Set(refused.map((r) => `${r.verb} ${r.resource} ${r.namespace}/${r.name}`))).toEqual(
      new Set([`create serviceaccounts/token ${OPERATOR_NAMESPACE}/${UNBOUND_ACCOUNT}`]),
    );
    // Nothing reached IAM on its behalf.
    expect(
      callers().some(
        (c) =>
          c.kind === 'idToken' &&
          c.subject === serviceAccountSubject(OPERATOR_NAMESPACE, UNBOUND_ACCOUNT),
      ),
    ).toBe(false);
  });

  it('leaks no ServiceAccount token and no X-Auth-Token', async () => {
    const exchanges = region.requests().filter((r) => r.path === ID_TOKEN_EXCHANGE_PATH);
    expect(exchangedIdTokensIn(operator.output(), exchanges)).toEqual([]);
    const issued = region.issuedTokens();
    expect(issued.length).toBeGreaterThan(0);
    const metrics = await operator.metrics();
    for (const token of issued) expect(metrics).not.toContain(token);
    expect(
      await findLeaks({
        scenario: s,
        operators: [operator],
        extraNamespaces: [nsB],
        secrets: [s.token, ...issued],
      }),
    ).toEqual([]);
  });
});
