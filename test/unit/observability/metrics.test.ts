import {
  ApigInvalidInputError,
  ApigNotFoundError,
  ApigServerError,
  ApigThrottledError,
  ApigUnauthorizedError,
} from '../../../src/apig/errors.ts';
import { Pacer } from '../../../src/apig/pacer.ts';
import { Metrics, apigCallOutcome } from '../../../src/observability/metrics.ts';
import type { ApigCallOutcome } from '../../../src/observability/metrics.ts';
import type { ReconcileResult } from '../../../src/controller/reconcile.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { seriesOf, valueOf } from './series.ts';

const NOT_AFTER = 'apig_certificate_not_after_seconds';
const READY = 'apig_certificate_ready';

describe('Metrics', () => {
  it('keeps its own registry: two instances neither collide nor share values', async () => {
    const a = new Metrics({ defaultMetrics: true });
    const b = new Metrics({ defaultMetrics: true });
    a.setLeader(true);
    expect(await valueOf(a, 'apig_cert_operator_leader')).toBe(1);
    expect(await valueOf(b, 'apig_cert_operator_leader')).toBe(0);
    expect(await a.render()).toContain('process_cpu_user_seconds_total');
  });

  it('leaves out the Node process metrics when asked', async () => {
    expect(await new Metrics({ defaultMetrics: false }).render()).not.toContain('process_');
  });

  it.each<ReconcileResult | 'error'>([
    'synced',
    'unchanged',
    'suspended',
    'invalid',
    'refused',
    'apig_error',
    'error',
  ])('counts and times a reconcile that ends %s', async (result) => {
    const clock = new FakeClock();
    const metrics = new Metrics({ defaultMetrics: false, clock });
    const done = metrics.startReconcile();
    await clock.advance(250);
    done(result);
    expect(await valueOf(metrics, 'apig_cert_operator_reconcile_total', { result })).toBe(1);
    const histogram = 'apig_cert_operator_reconcile_duration_seconds';
    expect(await valueOf(metrics, histogram, { result }, `${histogram}_sum`)).toBe(0.25);
    expect(await valueOf(metrics, histogram, { result }, `${histogram}_count`)).toBe(1);
  });

  const details = { operation: 'updateCertificate' as const };
  it.each<[string, ApigCallOutcome, Error | undefined]>([
    ['no error', 'ok', undefined],
    ['a 400', 'invalidInput', new ApigInvalidInputError('bad', details)],
    ['a 404', 'notFound', new ApigNotFoundError('gone', details)],
    ['a 401', 'unauthorized', new ApigUnauthorizedError('who', details)],
    ['a 429', 'throttled', new ApigThrottledError('slow', { ...details, retryAfterMs: 2_000 })],
    ['a 500', 'server', new ApigServerError('boom', details)],
    ['a TypeError', 'error', new TypeError('no project')],
  ])('times an APIG call that ends with %s as outcome %s', async (_case, outcome, error) => {
    const clock = new FakeClock();
    const metrics = new Metrics({ defaultMetrics: false, clock });
    const call = async (): Promise<string> => {
      await Promise.resolve();
      await clock.advance(1_500);
      if (error !== undefined) throw error;
      return 'answer';
    };
    const running = metrics.timeApigCall('updateCertificate', call);
    if (error === undefined) await expect(running).resolves.toBe('answer');
    else await expect(running).rejects.toBe(error);
    if (error !== undefined) expect(apigCallOutcome(error)).toBe(outcome);
    const labels = { operation: 'updateCertificate', outcome, provider: 'environment' };
    expect(await valueOf(metrics, 'apig_cert_operator_apig_requests_total', labels)).toBe(1);
    const histogram = 'apig_cert_operator_apig_request_duration_seconds';
    expect(await valueOf(metrics, histogram, labels, `${histogram}_sum`)).toBe(1.5);
  });

  it('does not count an APIG call that failed because its work item was cancelled', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const cancel = new AbortController();
    const aborted = new DOMException('aborted', 'AbortError');
    const call = (): Promise<never> => {
      cancel.abort();
      return Promise.reject(aborted);
    };
    await expect(metrics.timeApigCall('updateCertificate', call, cancel.signal)).rejects.toBe(
      aborted,
    );
    expect((await seriesOf(metrics, 'apig_cert_operator_apig_requests_total')).length).toBe(0);
    // A call that succeeded is counted even if the signal aborted meanwhile.
    await metrics.timeApigCall('updateCertificate', () => Promise.resolve('ok'), cancel.signal);
    const labels = { operation: 'updateCertificate', outcome: 'ok', provider: 'environment' };
    expect(await valueOf(metrics, 'apig_cert_operator_apig_requests_total', labels)).toBe(1);
  });

  it('labels a provider client call with its provider', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    await metrics.timeApigCall(
      'listCertificates',
      () => Promise.resolve([]),
      undefined,
      'team-a/eu',
    );
    const labels = { operation: 'listCertificates', outcome: 'ok', provider: 'team-a/eu' };
    expect(await valueOf(metrics, 'apig_cert_operator_apig_requests_total', labels)).toBe(1);
  });

  it('keeps one readiness series per provider, removed when it goes', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setProviderReady('cluster/cn-north-4', false);
    metrics.setProviderReady('cluster/cn-north-4', true);
    metrics.setProviderReady('team-a/eu', false);
    expect(await valueOf(metrics, 'apig_provider_ready', { provider: 'cluster/cn-north-4' })).toBe(
      1,
    );
    expect(await valueOf(metrics, 'apig_provider_ready', { provider: 'team-a/eu' })).toBe(0);
    metrics.setProviderReady('team-a/eu', undefined);
    expect((await seriesOf(metrics, 'apig_provider_ready')).length).toBe(1);
  });

  it('reads the queue depth at every scrape', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    expect(await valueOf(metrics, 'apig_cert_operator_queue_depth')).toBe(0);
    let depth = 3;
    metrics.setQueueDepthSource(() => depth);
    expect(await valueOf(metrics, 'apig_cert_operator_queue_depth')).toBe(3);
    depth = 7;
    expect(await valueOf(metrics, 'apig_cert_operator_queue_depth')).toBe(7);
  });

  it('copies watch restart totals by resource and reason at every scrape', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const secrets = { lists: 4, watches: 9, expired: 1, stalls: 2, errors: 3 };
    metrics.addWatchSource('secrets', () => secrets);
    metrics.addWatchSource('apigcertificates', () => ({ expired: 0, stalls: 0, errors: 5 }));
    const name = 'apig_cert_operator_watch_restarts_total';
    expect(await valueOf(metrics, name, { resource: 'secrets', reason: 'expired' })).toBe(1);
    expect(await valueOf(metrics, name, { resource: 'secrets', reason: 'stalled' })).toBe(2);
    expect(await valueOf(metrics, name, { resource: 'apigcertificates', reason: 'error' })).toBe(5);
    secrets.errors = 4;
    expect(await valueOf(metrics, name, { resource: 'secrets', reason: 'error' })).toBe(4);
    expect(await seriesOf(metrics, name)).toHaveLength(6);
  });

  it("shows each provider's pacer at every scrape: its rate now and the 429s it saw", async () => {
    const clock = new FakeClock();
    const metrics = new Metrics({ defaultMetrics: false });
    const pacer = new Pacer({ requestsPerSecond: 10, burst: 1 }, clock);
    const stop = metrics.addPacingSource('team-a/eu', () => pacer.stats());
    const rate = 'apig_cert_operator_apig_request_rate';
    const throttledTotal = 'apig_cert_operator_apig_throttled_total';
    expect(await valueOf(metrics, rate, { provider: 'team-a/eu' })).toBe(10);
    expect(await valueOf(metrics, throttledTotal, { provider: 'team-a/eu' })).toBe(0);
    let answers = 0;
    const call = pacer.run(async () => {
      await pacer.acquire();
      answers += 1;
      if (answers === 1) {
        throw new ApigThrottledError('throttled', {
          operation: 'updateCertificate',
          httpStatus: 429,
          retryAfterMs: 3_000,
        });
      }
    });
    await clock.advance(1_000);
    await call;
    expect(await valueOf(metrics, throttledTotal, { provider: 'team-a/eu' })).toBe(1);
    expect(await valueOf(metrics, rate, { provider: 'team-a/eu' })).toBeCloseTo(
      pacer.currentRate(),
      6,
    );
    expect(pacer.currentRate()).toBeLessThan(10);
    // A replacement client takes the label; the old one's removal leaves it alone.
    const stopReplacement = metrics.addPacingSource('team-a/eu', () => ({ rate: 4, throttled: 0 }));
    stop();
    expect(await valueOf(metrics, rate, { provider: 'team-a/eu' })).toBe(4);
    stopReplacement();
    expect(await seriesOf(metrics, rate)).toHaveLength(0);
    expect(await seriesOf(metrics, throttledTotal)).toHaveLength(0);
  });

  it('reports leadership as 1 or 0', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setLeader(true);
    expect(await valueOf(metrics, 'apig_cert_operator_leader')).toBe(1);
    metrics.setLeader(false);
    expect(await valueOf(metrics, 'apig_cert_operator_leader')).toBe(0);
  });
});

describe('Metrics per resource', () => {
  const notAfter = new Date('2031-08-16T06:36:13Z');
  const resource = { namespace: 'shop', name: 'www' };

  it('keeps one ready series per resource whose value flips (never a success and a fail series)', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: false, notAfter });
    expect(await seriesOf(metrics, READY)).toEqual([{ name: READY, labels: resource, value: 0 }]);
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    expect(await seriesOf(metrics, READY)).toEqual([{ name: READY, labels: resource, value: 1 }]);
  });

  it('sets not_after in seconds since the epoch, labelled with the certificate ID', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    expect(await seriesOf(metrics, NOT_AFTER)).toEqual([
      { name: NOT_AFTER, labels: { ...resource, certificate_id: 'c1' }, value: 1944628573 },
    ]);
    expect(await metrics.render()).toContain(
      'apig_certificate_not_after_seconds{namespace="shop",name="www",certificate_id="c1"} 1944628573',
    );
  });

  it('moves the not_after series when the certificate ID changes', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    metrics.setResourceState('shop', 'www', { certificateId: 'c2', ready: true, notAfter });
    expect((await seriesOf(metrics, NOT_AFTER)).map((s) => s.labels.certificate_id)).toEqual([
      'c2',
    ]);
  });

  it.each<[string, Date | undefined]>([
    ['unknown', undefined],
    ['not a date', new Date('garbage')],
  ])('drops the not_after series when not-after is %s', async (_case, unknown) => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    metrics.setResourceState('shop', 'www', {
      certificateId: 'c1',
      ready: false,
      notAfter: unknown,
    });
    expect(await seriesOf(metrics, NOT_AFTER)).toEqual([]);
    expect(await valueOf(metrics, READY, resource)).toBe(0);
  });

  it('removes both series of a deleted resource and only those', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.setResourceState('shop', 'www', { certificateId: 'c1', ready: true, notAfter });
    metrics.setResourceState('shop', 'api', { certificateId: 'c2', ready: false, notAfter });
    metrics.removeResource('shop', 'www');
    expect((await seriesOf(metrics, READY)).map((s) => s.labels.name)).toEqual(['api']);
    expect((await seriesOf(metrics, NOT_AFTER)).map((s) => s.labels.name)).toEqual(['api']);
    // Removing again, or a resource never seen, is harmless.
    metrics.removeResource('shop', 'www');
    metrics.removeResource('other', 'x');
    expect(await seriesOf(metrics, READY)).toHaveLength(1);
  });
});
