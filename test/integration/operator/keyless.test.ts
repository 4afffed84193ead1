// Keyless end to end: the operator as a process with HUAWEICLOUD_SDK_IDP_ID and
// HUAWEICLOUD_SDK_ID_TOKEN_FILE holding a real ServiceAccount token of the test
// apiserver, exchanged at the simulator's IAM, which verifies it against the
// apiserver's own issuer discovery and JWKS.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { Agent, request } from 'undici';
import { eventually } from '../../support/eventually.ts';
import { createTestNamespace, kubectl, testKubeConfig } from '../../support/kube.ts';
import { findSecrets, privateKeyLines } from '../../support/leaks.ts';
import { startOperator, type OperatorProcess } from '../../support/operator.ts';
import { serviceAccountSubject, testClusterIdentityProvider } from '../../support/providers.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { findLeaks } from './leak-scan.ts';

const IDP = 'test-cluster-oidc';
const AUDIENCE = 'apig-cert-operator.iam.test';
const SERVICE_ACCOUNT = 'apig-cert-operator';
const EXCHANGE_PATH = '/v3.0/OS-AUTH/id-token/tokens';
const ERROR = 50;

let s: Scenario;
let serviceAccountNamespace: string;
let dir: string;
let tokenFile: string;
let operator: OperatorProcess;
/** The simulator's clock runs this far ahead: IAM sees the ID tokens as older. */
const simulatorSkew = { ms: 0 };
/** Every ID token the test wrote to the file. */
const idTokens: string[] = [];

async function requestIdToken(): Promise<string> {
  const answer = await testKubeConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccountToken({
      name: SERVICE_ACCOUNT,
      namespace: serviceAccountNamespace,
      // 10 minutes: the shortest TokenRequest allows.
      body: { spec: { audiences: [AUDIENCE], expirationSeconds: 600 } },
    });
  const token = answer.status?.token;
  if (!token) throw new Error('TokenRequest answered without a token');
  idTokens.push(token);
  return token;
}

async function writeIdToken(): Promise<string> {
  const token = await requestIdToken();
  await writeFile(tokenFile, token);
  return token;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const exchanges = () => s.simulator.requests().filter((r) => r.path === EXCHANGE_PATH);

beforeAll(async () => {
  serviceAccountNamespace = await createTestNamespace('keyless-op');
  kubectl('-n', serviceAccountNamespace, 'create', 'serviceaccount', SERVICE_ACCOUNT);
  s = await createScenario('keyless', {
    // What an administrator registers in IAM: the cluster's issuer and its JWKS.
    identityProviders: [
      testClusterIdentityProvider(
        IDP,
        [AUDIENCE],
        [serviceAccountSubject(serviceAccountNamespace, SERVICE_ACCOUNT)],
      ),
    ],
    // Short IAM tokens: every sync a few seconds apart exchanges again.
    tokenLifetimeMs: 2_000,
    now: () => new Date(Date.now() + simulatorSkew.ms),
  });
  dir = await mkdtemp(join(tmpdir(), 'keyless-'));
  tokenFile = join(dir, 'token');
  await writeIdToken();
  // testDefaults false: exactly the environment below, as a user would set it.
  operator = startOperator(
    s.operatorEnv({
      APIG_AUTH_TOKEN: undefined,
      HUAWEICLOUD_IAM_ENDPOINT: s.simulator.url,
      HUAWEICLOUD_SDK_IDP_ID: IDP,
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: tokenFile,
      HTTP_PORT: '0',
      HTTP_BIND_ADDRESS: '127.0.0.1',
    }),
    { testDefaults: false },
  );
}, 120_000);

afterAll(async () => {
  await operator?.stop('SIGKILL');
  await s?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('keyless with a projected-style ServiceAccount token file', () => {
  it('the issuer discovery documents: served to an authenticated caller, refused to anonymous without a binding', async () => {
    const cluster = testKubeConfig().getCurrentCluster()!;
    const dispatcher = new Agent({
      connect: { ca: Buffer.from(cluster.caData!, 'base64').toString('utf8') },
    });
    try {
      const anonymous = await request(`${cluster.server}/openid/v1/jwks`, { dispatcher });
      await anonymous.body.dump();
      // system:service-account-issuer-discovery is bound to system:serviceaccounts only.
      expect(anonymous.statusCode).toBe(403);
    } finally {
      await dispatcher.close();
    }
    const jwks = JSON.parse(kubectl('get', '--raw', '/openid/v1/jwks')) as {
      keys: { kty: string; alg: string }[];
    };
    expect(jwks.keys.map((k) => [k.kty, k.alg])).toEqual([['RSA', 'RS256']]);
  });

  it('syncs a certificate with the exchanged X-Auth-Token', async () => {
    await s.writeTlsSecret('shop-tls', await s.issue());
    await s.createCertificate('shop', { certificateId: 'cert-keyless', name: 'shop_cert' });
    const ready = await s.waitForReady('shop');
    expect(ready.status?.serialNumber).toBe(s.simulator.certificate('cert-keyless')!.serialNumber);
    expect(exchanges().map((e) => [e.status, e.idTokenSha256])).toContainEqual([
      201,
      sha256(idTokens[0]!),
    ]);
    expect(s.simulator.successfulPuts('cert-keyless').map((p) => p.auth)).toEqual(['token']);
  });

  it('the file rewritten with a new token: the next exchange presents it, no 401', async () => {
    const exchangedBefore = exchanges().length;
    const rotated = await writeIdToken();
    expect(rotated).not.toBe(idTokens[0]);
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // the cached X-Auth-Token is due
    const before = s.simulator.successfulPuts('cert-keyless').length;
    await s.writeTlsSecret('shop-tls', await s.issue());
    await eventually('the renewed certificate in APIG', () =>
      Promise.resolve(s.simulator.successfulPuts('cert-keyless').length > before),
    );
    const after = exchanges().slice(exchangedBefore);
    expect(after.length).toBeGreaterThan(0);
    expect(after.map((e) => [e.status, e.idTokenSha256])).toEqual(
      after.map(() => [201, sha256(rotated)]),
    );
    expect(s.simulator.requests().filter((r) => r.status === 401)).toEqual([]);
    await s.waitForReady('shop');
  });

  it('an expired ID token (the file no longer rotated): Ready=False ApigUnauthorized with IAM code, nothing sent', async () => {
    simulatorSkew.ms = 11 * 60_000; // past the 10-minute token's exp, as IAM sees it
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const putsBefore = s.simulator.successfulPuts('cert-keyless').length;
    await s.writeTlsSecret('shop-tls', await s.issue());
    const refused = await s.waitForReady('shop', 'False', 'ApigUnauthorized');
    const ready = refused.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toMatch(
      /iamToken: IAM refused to issue a token; HTTP 401 IAM\.0101 The id_token has expired/,
    );
    expect(refused.status?.lastError).toMatchObject({ code: 'IAM.0101', httpStatus: 401 });
    expect(s.simulator.successfulPuts('cert-keyless')).toHaveLength(putsBefore);
    const warning = await eventually('the Warning event', async () =>
      (await s.events('shop')).find((e) => e.type === 'Warning' && e.reason === 'ApigUnauthorized'),
    );
    expect(warning.message).toContain('IAM.0101');
    expect(operator.logs.filter((l) => l.level >= ERROR)).toEqual([]);
  });

  it('no ID token and no X-Auth-Token in logs, events, status or metrics', async () => {
    const signatures = idTokens.map((jwt) => jwt.split('.')[2]!); // as bad as the whole token
    const tokens = [...idTokens, ...signatures, ...s.simulator.issuedTokens()];
    expect(s.simulator.issuedTokens().length).toBeGreaterThanOrEqual(2);
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: tokens })).toEqual([]);
    const keyLines = privateKeyLines((await s.issue()).keyPem);
    const credentials = new Map(tokens.map((t) => [t, 'an ID token or X-Auth-Token']));
    expect(
      findSecrets({ surfaces: [['metrics', await operator.metrics()]], keyLines, credentials }),
    ).toEqual([]);
  });
});
