// Events land on the real apiserver, and a stuck resource does not flood them.
import { CoreV1Api } from '@kubernetes/client-node';
import { EventRecorder } from '../../../src/kube/event-recorder.ts';
import { KubeClient } from '../../../src/kube/kube-client.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { createTestNamespace, testKubeConfig } from '../../support/kube.ts';

const client = new KubeClient(testKubeConfig());
const core = testKubeConfig().makeApiClient(CoreV1Api);
let namespace: string;

beforeAll(async () => {
  namespace = await createTestNamespace('events');
});

afterAll(async () => {
  await client.close();
});

function involved(name: string) {
  return {
    apiVersion: 'apig.certsync.io/v1alpha1',
    kind: 'ApigCertificate',
    metadata: { namespace, name, uid: `uid-${name}` },
  };
}

async function eventsOf(name: string) {
  const list = await core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items.map((e) => `${e.type} ${e.reason}: ${e.message}`).sort();
}

describe('EventRecorder', () => {
  it('writes Warnings once per reason within the window, and every new Normal event', async () => {
    const clock = new FakeClock(1_000_000);
    const recorder = new EventRecorder({
      client,
      component: 'apig-cert-operator',
      instance: 'test',
      repeatAfterMs: 60_000,
      clock,
    });
    const object = involved('stuck');
    expect(
      await recorder.record(object, 'Warning', 'ApigUnavailable', 'HTTP 500, request id a'),
    ).toBe(true);
    expect(
      await recorder.record(object, 'Warning', 'ApigUnavailable', 'HTTP 500, request id b'),
    ).toBe(false);
    expect(await recorder.record(object, 'Warning', 'ApigThrottled', 'HTTP 429')).toBe(true);
    expect(await recorder.record(object, 'Normal', 'Synced', 'serial 1')).toBe(true);
    expect(await recorder.record(object, 'Normal', 'Synced', 'serial 1')).toBe(false);
    expect(await recorder.record(object, 'Normal', 'Synced', 'serial 2')).toBe(true);
    await clock.advance(60_000);
    expect(await recorder.record(object, 'Normal', 'Synced', 'serial 2')).toBe(true);
    expect(await eventsOf('stuck')).toEqual([
      'Normal Synced: serial 1',
      'Normal Synced: serial 2',
      'Normal Synced: serial 2',
      'Warning ApigThrottled: HTTP 429',
      'Warning ApigUnavailable: HTTP 500, request id a',
    ]);
  });

  it('forgets a deleted object, so a new one with the same name gets its events', async () => {
    const recorder = new EventRecorder({
      client,
      component: 'apig-cert-operator',
      instance: 'test',
    });
    const object = involved('recreated');
    await recorder.record(object, 'Warning', 'SecretNotFound', 'missing');
    recorder.forget(object);
    expect(await recorder.record(object, 'Warning', 'SecretNotFound', 'missing')).toBe(true);
    expect(await eventsOf('recreated')).toHaveLength(2);
  });
});
