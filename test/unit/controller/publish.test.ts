// The status write of a reconcile: merge patch with the version the pass read
// as precondition, and what each answer of the API server means to the caller.
import type { ApigCertificateResource } from '../../../src/api/v1alpha1.ts';
import { Publisher, type StatusWrite } from '../../../src/controller/publish.ts';
import type { EventRecorder } from '../../../src/kube/event-recorder.ts';
import { KubeApiError, type KubeClient, type KubeRequest } from '../../../src/kube/kube-client.ts';
import { Metrics } from '../../../src/observability/metrics.ts';

const resource: ApigCertificateResource = {
  metadata: { name: 'shop', namespace: 'web', generation: 2, resourceVersion: '41' },
  spec: { certificateId: 'cert-1', name: 'shop_cert', secretRef: { name: 'shop-tls' } },
  status: { observedGeneration: 1 },
};

/** A KubeClient that records requests and answers each with `answer`. */
function client(answer: () => unknown): { client: KubeClient; requests: KubeRequest[] } {
  const requests: KubeRequest[] = [];
  const json = async (request: KubeRequest): Promise<unknown> => {
    requests.push(request);
    await Promise.resolve();
    return answer();
  };
  return { client: { json } as unknown as KubeClient, requests };
}

function publisher(kube: KubeClient): Publisher {
  const events = {} as EventRecorder;
  return new Publisher({ client: kube, events, metrics: new Metrics({ defaultMetrics: false }) });
}

const fail = (code: number) => () => {
  throw new KubeApiError(code, { code }, 'PATCH status');
};

describe('Publisher.writeStatus', () => {
  it.each<[string, () => unknown, StatusWrite]>([
    [
      'written',
      () => ({ metadata: { resourceVersion: '42' } }),
      { kind: 'written', resourceVersion: '42' },
    ],
    ['deleted meanwhile (404)', fail(404), { kind: 'gone' }],
    ['changed since it was read (409)', fail(409), { kind: 'conflict' }],
  ])('reports a status write that was %s', async (_case, answer, expected) => {
    const kube = client(answer);
    const write = await publisher(kube.client).writeStatus(resource, { observedGeneration: 2 });
    expect(write).toEqual(expected);
    expect(kube.requests).toHaveLength(1);
  });

  it('sends a merge patch with the version the pass read as precondition', async () => {
    const kube = client(() => ({ metadata: { resourceVersion: '42' } }));
    await publisher(kube.client).writeStatus(resource, { observedGeneration: 2 });
    expect(kube.requests[0]).toMatchObject({
      method: 'PATCH',
      path: '/apis/apig.certsync.io/v1alpha1/namespaces/web/apigcertificates/shop/status',
      contentType: 'application/merge-patch+json',
      body: { metadata: { resourceVersion: '41' }, status: { observedGeneration: 2 } },
    });
  });

  it('sends nothing when the status is already as desired', async () => {
    const kube = client(() => ({}));
    const write = await publisher(kube.client).writeStatus(resource, { observedGeneration: 1 });
    expect(write).toEqual({ kind: 'written', resourceVersion: undefined });
    expect(kube.requests).toHaveLength(0);
  });

  it('throws any other failure, for the queue to back off', async () => {
    const kube = client(fail(500));
    await expect(
      publisher(kube.client).writeStatus(resource, { observedGeneration: 2 }),
    ).rejects.toMatchObject({ statusCode: 500 });
  });
});

describe('Publisher.writeIntent', () => {
  const pendingCreate = { name: 'shop_cert', type: 'global', projectId: 'p1' } as const;

  it('returns the resource as written, for the next write of the pass to build on', async () => {
    const kube = client(() => ({ metadata: { resourceVersion: '42' } }));
    const written = await publisher(kube.client).writeIntent(resource, {
      ...resource.status,
      pendingCreate,
    });
    expect(written.metadata.resourceVersion).toBe('42');
    expect(written.status).toEqual({ observedGeneration: 1, pendingCreate });
    expect(kube.requests[0]?.body).toEqual({
      metadata: { resourceVersion: '41' },
      status: { pendingCreate },
    });
  });

  it.each([
    ['deleted meanwhile (404)', fail(404), 'the resource was deleted'],
    ['changed since it was read (409)', fail(409), 'the resource changed since it was read'],
  ])('rejects, naming the resource, when it was %s', async (_case, answer, message) => {
    const write = publisher(client(answer).client).writeIntent(resource, { pendingCreate });
    await expect(write).rejects.toMatchObject({ kind: 'statusNotWritten' });
    await expect(write).rejects.toThrow(`web/shop: status.pendingCreate not written (${message}`);
  });

  it('passes a failure of the API server on', async () => {
    const write = publisher(client(fail(500)).client).writeIntent(resource, { pendingCreate });
    await expect(write).rejects.toBeInstanceOf(KubeApiError);
  });
});
