// An operator with no environment APIG configuration at all: it starts,
// serves the certificates that name a provider, and tells the others why it
// cannot (NoDefaultProvider, a Warning event, nothing sent).
import { randomBytes } from 'node:crypto';
import { startApigSimulator, type ApigSimulator } from '../../support/apig-simulator/index.ts';
import { eventually } from '../../support/eventually.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { Providers, namespacedProvider } from '../../support/providers.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';

const AK = `AK${randomBytes(6).toString('hex').toUpperCase()}`;
const SK = `SK-SECRET-${randomBytes(8).toString('hex')}`;

let s: Scenario;
let region: ApigSimulator;
let operator: OperatorProcess;

beforeAll(async () => {
  s = await createScenario('providers-only');
  region = await startApigSimulator({ accessKeys: [{ ak: AK, sk: SK }] });
  const providers = new Providers(s.objects, s.core);
  await providers.writeSecret(s.namespace, 'keys', {
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: SK,
  });
  await providers.create(namespacedProvider(s.namespace, 'region'), {
    endpoint: region.url,
    projectId: region.projectId,
    auth: { accessKey: { secretRef: { name: 'keys' } } },
  });
  operator = s.startOperator({
    APIG_ENDPOINT: undefined,
    APIG_AUTH_TOKEN: undefined,
    HUAWEICLOUD_SDK_PROJECT_ID: undefined,
  });
});

afterAll(async () => {
  await s.close();
  await region.close();
});

describe('an operator with providers only', () => {
  it('says at start that it has no environment APIG configuration', async () => {
    const line = await operator.waitForLog((l) =>
      l.msg.startsWith('no environment APIG configuration'),
    );
    expect(line.level).toBe(40);
  });

  it('syncs a certificate that names a provider', async () => {
    region.seedCertificate({ id: 'cert-named', name: 'shop_cert' });
    await s.writeTlsSecret('named-tls', await s.issue());
    await s.createCertificate(
      'named',
      { certificateId: 'cert-named', providerRef: { kind: 'ApigProvider', name: 'region' } },
      { seed: false },
    );
    await s.waitForReady('named');
    expect(region.successfulPuts('cert-named')).toHaveLength(1);
  });

  it('reports NoDefaultProvider for one that names none, with a Warning event, and sends nothing', async () => {
    await s.writeTlsSecret('plain-tls', await s.issue());
    await s.createCertificate('plain', { certificateId: 'cert-plain' }, { seed: false });
    const resource = await s.waitForReady('plain', 'False', 'NoDefaultProvider');
    expect(resource.status?.lastError?.code).toBe('NoDefaultProvider');
    await eventually('a NoDefaultProvider event', async () =>
      (await s.events('plain')).some(
        (e) => e.type === 'Warning' && e.reason === 'NoDefaultProvider',
      ),
    );
    expect(region.successfulPuts('cert-plain').length + s.simulator.successfulPuts().length).toBe(
      0,
    );
  });
});
