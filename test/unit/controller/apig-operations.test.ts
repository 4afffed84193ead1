// The controller's APIG clients are built from the one list of certificate
// calls: the list is the client's, the timed client counts each call under
// its own name and provider and passes arguments, results and the signal
// through, and the no-route client refuses every call.
import {
  CERTIFICATE_OPERATIONS,
  createApigClient,
  type CertificateOperation,
} from '../../../src/apig/index.ts';
import { NO_APIG } from '../../../src/controller/providers/route.ts';
import { timedApig } from '../../../src/controller/timed-apig.ts';
import type { LifecycleApig } from '../../../src/controller/lifecycle/run.ts';
import { createLogger } from '../../../src/log.ts';
import { Metrics } from '../../../src/observability/metrics.ts';
import { metricValue } from '../../support/metrics-text.ts';

const REQUESTS = 'apig_cert_operator_apig_requests_total';

/** A client whose every call answers with its name and arguments, or fails when told to. */
function echoClient(failing?: CertificateOperation): LifecycleApig {
  return Object.fromEntries(
    CERTIFICATE_OPERATIONS.map((operation) => [
      operation,
      (...args: unknown[]) =>
        operation === failing
          ? Promise.reject(new Error(`${operation} failed`))
          : Promise.resolve({ operation, args }),
    ]),
  ) as unknown as LifecycleApig;
}

function callWith(apig: LifecycleApig, operation: CertificateOperation, args: unknown[]) {
  return (apig[operation] as (...a: unknown[]) => Promise<unknown>)(...args);
}

/** Arguments of each call as the lifecycle passes them, the signal last. */
const ARGUMENTS: Record<CertificateOperation, unknown[]> = {
  updateCertificate: [{ certificateId: 'c1' }, { name: 'n' }],
  createCertificate: [{ type: 'global' }, { name: 'n' }],
  showCertificate: [{ certificateId: 'c1' }],
  listCertificates: [{ name: 'n' }],
  deleteCertificate: [{ certificateId: 'c1' }],
  attachDomains: [{ certificateId: 'c1' }, [{ instanceId: 'i', domain: 'd' }]],
  detachDomains: [{ certificateId: 'c1' }, [{ instanceId: 'i', domain: 'd' }]],
  listAttachedDomains: [{ certificateId: 'c1' }],
};

/** The client's methods that are not APIG calls: its lifetime and its pacer's figures. */
const NOT_CERTIFICATE_CALLS = new Set(['close', 'pacing']);

describe('the list of certificate calls', () => {
  it('is exactly the APIG client’s calls (every method but close and pacing)', async () => {
    const client = createApigClient({
      endpoint: 'http://127.0.0.1:9',
      projectId: 'p',
      credentials: { kind: 'token', token: 'unused' },
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const methods = Object.keys(client).filter(
        (key) =>
          typeof client[key as keyof typeof client] === 'function' &&
          !NOT_CERTIFICATE_CALLS.has(key),
      );
      expect(methods.sort()).toEqual([...CERTIFICATE_OPERATIONS].sort());
    } finally {
      await client.close();
    }
  });
});

describe('timedApig', () => {
  it.each(CERTIFICATE_OPERATIONS)(
    '%s: passes arguments and the answer through, counted under its name and provider',
    async (operation) => {
      const metrics = new Metrics({ defaultMetrics: false });
      const signal = new AbortController().signal;
      const args = [...ARGUMENTS[operation], signal];
      const answer = await callWith(timedApig(echoClient(), metrics, 'ns/p'), operation, args);
      expect(answer).toEqual({ operation, args });
      const text = await metrics.render();
      expect(metricValue(text, REQUESTS, { operation, provider: 'ns/p', outcome: 'ok' })).toBe(1);
      const others = CERTIFICATE_OPERATIONS.filter((o) => o !== operation);
      for (const other of others)
        expect(metricValue(text, REQUESTS, { operation: other })).toBeUndefined();
    },
  );

  it.each(CERTIFICATE_OPERATIONS)(
    '%s: a failure after its signal aborted is not counted (the signal reaches the metrics)',
    async (operation) => {
      const metrics = new Metrics({ defaultMetrics: false });
      const controller = new AbortController();
      controller.abort();
      const args = [...ARGUMENTS[operation], controller.signal];
      const timed = timedApig(echoClient(operation), metrics);
      await expect(callWith(timed, operation, args)).rejects.toThrow(`${operation} failed`);
      expect(metricValue(await metrics.render(), REQUESTS, { operation })).toBeUndefined();
    },
  );

  it('counts a failure without a signal, for the environment configuration', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const timed = timedApig(echoClient('showCertificate'), metrics);
    await expect(callWith(timed, 'showCertificate', ARGUMENTS.showCertificate)).rejects.toThrow();
    const text = await metrics.render();
    expect(
      metricValue(text, REQUESTS, { operation: 'showCertificate', provider: 'environment' }),
    ).toBe(1);
  });
});

describe('NO_APIG', () => {
  it.each(CERTIFICATE_OPERATIONS)('%s: refused, nothing to call', async (operation) => {
    await expect(callWith(NO_APIG, operation, ARGUMENTS[operation])).rejects.toThrow(
      'no APIG route for this resource',
    );
  });
});
