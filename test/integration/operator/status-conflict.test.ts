// A status write racing a spec change: the write carries the resourceVersion
// the pass read, gets 409, and the pass reads again. The status still ends
// right, and APIG gets one PUT per content. And one racing a delete: nothing
// is reported about a resource that is gone.
import { KubeClient } from '../../../src/kube/kube-client.ts';
import { objectPath } from '../../../src/kube/resources.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';
import { testKubeConfig } from '../../support/kube.ts';
import type { LogLine, OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';

const ID = 'cert-shop';
/** Long enough for the test to change the spec while the PUT is on its way. */
const PUT_LATENCY_MS = 4_000;

let s: Scenario;
let operator: OperatorProcess;

const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);
const puts = () =>
  s.simulator.requests().filter((r) => r.method === 'PUT' && r.certificateId === ID);
const isConflictLine = (l: LogLine) =>
  l.msg === 'status changed while reconciling; reading it again';
const conflicts = () => operator.logs.filter(isConflictLine).length;
const syncedLines = () =>
  operator.logs.filter((l) => l.msg === 'reconciled' && l.result === 'synced').length;

function slowNextPut(certificateId = ID): void {
  s.simulator.addFault({
    fault: { kind: 'latency', ms: PUT_LATENCY_MS },
    method: 'PUT',
    certificateId,
    times: 1,
  });
}

/** Points spec.secretRef elsewhere while the PUT is delayed (a new generation). */
async function repointWhilePutIsDelayed(secretName: string): Promise<void> {
  await sleep(1_500);
  await new KubeClient(testKubeConfig()).json({
    method: 'PATCH',
    path: objectPath(APIG_CERTIFICATE_RESOURCE, s.namespace, 'shop'),
    contentType: 'application/merge-patch+json',
    body: { spec: { secretRef: { name: secretName } } },
  });
}

beforeAll(async () => {
  s = await createScenario('conflict');
  operator = s.startOperator();
  await operator.waitForLog((l) => l.msg === 'became leader');
});

afterAll(async () => {
  await s.close();
});

describe('a status write racing a spec change', () => {
  it('records the accepted PUT on the re-read when the content is the same', async () => {
    const cert = await s.issue();
    await s.writeTlsSecret('shop-tls', cert);
    await s.writeTlsSecret('same-tls', cert);
    slowNextPut();
    await s.createCertificate('shop', { certificateId: ID });
    await repointWhilePutIsDelayed('same-tls');
    const ready = await s.waitForReady('shop');
    expect(ready.metadata.generation).toBe(2);
    await sleep(1_000);
    expect(conflicts()).toBe(1);
    expect(puts()).toHaveLength(1);
    expect(syncedLines()).toBe(1);
    expect(ready.status?.serialNumber).toBe(decimal(cert.serialNumber));
  });

  it('sends the new content once when the spec now points at a different certificate', async () => {
    const rotated = await s.issue();
    const other = await s.issue();
    await s.writeTlsSecret('other-tls', other);
    slowNextPut();
    await s.writeTlsSecret('same-tls', rotated);
    await repointWhilePutIsDelayed('other-tls');
    await eventually('APIG to hold the certificate the spec now names', () =>
      Promise.resolve(s.simulator.certificate(ID)?.serialNumber === decimal(other.serialNumber)),
    );
    const ready = await s.waitForReady('shop');
    await sleep(1_000);
    expect(ready.metadata.generation).toBe(3);
    expect(ready.status?.serialNumber).toBe(decimal(other.serialNumber));
    expect(conflicts()).toBe(2);
    // The first content, the rotation already on its way, the content named now: one PUT each.
    expect(puts()).toHaveLength(3);
    // The rotation was superseded before any status recorded it: not reported as synced.
    expect(syncedLines()).toBe(2);
  });
});

describe('a status write racing a delete', () => {
  it('leaves no event and no metric series for a resource deleted while its PUT was on the way', async () => {
    const id = 'cert-gone';
    await s.writeTlsSecret('gone-tls', await s.issue());
    slowNextPut(id);
    await s.createCertificate('gone', { certificateId: id, secretRef: { name: 'gone-tls' } });
    await sleep(1_500);
    await s.objects.deleteNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'gone',
    });
    await eventually('the delayed PUT to be answered', () =>
      Promise.resolve(s.simulator.successfulPuts(id).length === 1 ? true : undefined),
    );
    await sleep(1_500);
    expect(await operator.metrics()).not.toMatch(/name="gone"/);
    expect((await s.events('gone')).map((e) => e.reason)).toEqual([]);
  });
});
