// DRY_RUN=true: every decision is computed and reported (a Planned condition
// naming the writes, a Normal event), and APIG receives no write at all.
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
} from '../../../../src/api/v1alpha1.ts';
import { eventually } from '../../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../../support/scenario.ts';

let s: Scenario;

beforeAll(async () => {
  s = await createScenario('dry-run');
  s.startOperator({ DRY_RUN: 'true' });
});

afterAll(async () => {
  await s.close();
});

it('plans the create, the PUT and the attach, and sends none of them', async () => {
  s.simulator.seedCertificate({ id: 'dry-1', name: 'pinned_cert' });
  s.simulator.seedDomain({ instanceId: 'gw-dry', groupId: 'g', domain: 'shop.example.com' });
  await s.writeTlsSecret('fresh-tls', await s.issue('shop.example.com'));
  await s.writeTlsSecret('pinned-tls', await s.issue('shop.example.com'));
  for (const [name, spec] of [
    ['fresh', { name: 'fresh_cert', secretRef: { name: 'fresh-tls' } }],
    [
      'pinned',
      {
        certificateId: 'dry-1',
        name: 'pinned_cert',
        secretRef: { name: 'pinned-tls' },
        domains: [{ name: 'shop.example.com' }],
        deletionPolicy: 'Delete',
      },
    ],
  ] as const) {
    await s.objects.createNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      body: { apiVersion: API_VERSION, kind: APIG_CERTIFICATE_KIND, metadata: { name }, spec },
    });
  }
  const planned = async (name: string) =>
    eventually(`${name} Planned`, async () =>
      (await s.getCertificate(name)).status?.conditions?.find(
        (c) => c.type === 'Planned' && c.status === 'True',
      ),
    );
  expect((await planned('fresh')).message).toContain('create certificate fresh_cert');
  expect((await planned('pinned')).message).toContain('update certificate dry-1');
  await eventually('a Planned event', async () =>
    (await s.events('fresh')).some((e) => e.reason === 'Planned' && e.type === 'Normal'),
  );
  await sleep(1_000);
  const writes = s.simulator.requests().filter((r) => r.method !== 'GET');
  expect(writes).toEqual([]);
});
