// Status writes against the real apiserver: a resourceVersion precondition
// makes a write on a changed object fail with 409 instead of overwriting.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';
import { isKubeApiError, KubeClient } from '../../../src/kube/kube-client.ts';
import { writeStatus } from '../../../src/kube/status-writer.ts';
import { createTestNamespace, installCrds, testKubeConfig } from '../../support/kube.ts';

const custom = testKubeConfig().makeApiClient(CustomObjectsApi);
const client = new KubeClient(testKubeConfig());
let namespace: string;

beforeAll(async () => {
  installCrds();
  namespace = await createTestNamespace('status');
});

afterAll(async () => {
  await client.close();
});

async function createCertificate(name: string): Promise<string> {
  const created = (await custom.createNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace,
    body: {
      apiVersion: 'apig.certsync.io/v1alpha1',
      kind: 'ApigCertificate',
      metadata: { name },
      spec: { certificateId: 'c0ffee-01', name: 'shop_cert', secretRef: { name: 'shop-tls' } },
    },
  })) as { metadata: { resourceVersion: string } };
  return created.metadata.resourceVersion;
}

describe('writeStatus', () => {
  it('writes with the current resourceVersion and refuses a stale one with 409', async () => {
    const stale = await createCertificate('guarded');
    const object = { metadata: { namespace, name: 'guarded' } };
    const written = await writeStatus(
      client,
      APIG_CERTIFICATE_RESOURCE,
      object,
      undefined,
      { observedGeneration: 1 },
      { resourceVersion: stale },
    );
    expect(written).toBeDefined();
    expect(written).not.toBe(stale);

    const error: unknown = await writeStatus(
      client,
      APIG_CERTIFICATE_RESOURCE,
      object,
      { observedGeneration: 1 },
      { observedGeneration: 2 },
      { resourceVersion: stale },
    ).catch((e: unknown) => e);
    expect(isKubeApiError(error, 409)).toBe(true);

    const stored = (await custom.getNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace,
      name: 'guarded',
    })) as { status?: { observedGeneration?: number } };
    expect(stored.status?.observedGeneration).toBe(1);
  });

  it('writes without a precondition whatever changed meanwhile', async () => {
    await createCertificate('unguarded');
    const object = { metadata: { namespace, name: 'unguarded' } };
    await writeStatus(client, APIG_CERTIFICATE_RESOURCE, object, undefined, {
      observedGeneration: 1,
    });
    expect(
      await writeStatus(
        client,
        APIG_CERTIFICATE_RESOURCE,
        object,
        { observedGeneration: 1 },
        { observedGeneration: 2 },
      ),
    ).toBeDefined();
  });
});
