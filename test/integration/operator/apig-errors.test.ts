// How the operator meets APIG's answers: a permanent refusal is not retried
// until something changes, 5xx recover with backoff, a throttled PUT is sent
// again by the shared pacer (the queue takes over after a few), an expired IAM
// token is refreshed once, IAM refusing the credentials does not
// cause a retry storm; AK/SK signing and ROMA Connect paths work end to end.
import { randomBytes } from 'node:crypto';
import { DEFAULT_PROJECT_NAME } from '../../support/apig-simulator/index.ts';
import type { RequestLogEntry, SimulatorOptions } from '../../support/apig-simulator/index.ts';
import { issueCertificate, sharedKeyPair, type IssuedCertificate } from '../../support/certs.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type EnvOverrides, type Scenario } from '../../support/scenario.ts';
import { MAX_THROTTLED_ATTEMPTS } from '../../../src/apig/pacer.ts';
import { findLeaks } from './leak-scan.ts';

const DAY_MS = 86_400_000;

async function certificate(validDays = 90): Promise<IssuedCertificate> {
  return issueCertificate({
    commonName: 'shop.example.com',
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
    notAfter: new Date(Date.now() + validDays * DAY_MS),
  });
}

const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);

/** Every PUT the simulator saw for `id`, whatever it answered, oldest first. */
function putsFor(s: Scenario, id: string): RequestLogEntry[] {
  return s.simulator.requests().filter((r) => r.method === 'PUT' && r.certificateId === id);
}

function gapsMs(entries: RequestLogEntry[]): number[] {
  return entries.slice(1).map((e, i) => e.time.getTime() - entries[i]!.time.getTime());
}

/** Waits until APIG holds `cert` for `id`. */
async function waitForSerial(s: Scenario, id: string, cert: IssuedCertificate): Promise<void> {
  const serial = decimal(cert.serialNumber);
  await eventually(`APIG to hold serial ${serial} for ${id}`, () =>
    Promise.resolve(s.simulator.certificate(id)?.serialNumber === serial),
  );
}

async function annotateSecret(s: Scenario, name: string, value: string): Promise<void> {
  await s.core.patchNamespacedSecret({
    name,
    namespace: s.namespace,
    body: [{ op: 'add', path: '/metadata/annotations', value: { 'example.com/touched': value } }],
  });
}

async function useScenario(
  prefix: string,
  simulator: SimulatorOptions,
  env: EnvOverrides = {},
): Promise<{ s: Scenario; operator: OperatorProcess }> {
  const s = await createScenario(prefix, simulator);
  return { s, operator: s.startOperator(env) };
}

describe('APIG refusals and outages (fixed token)', () => {
  let s: Scenario;
  let operator: OperatorProcess;
  /** APIG's clock runs 30 days ahead: a certificate valid for 10 more days is expired there. */
  const APIG_CLOCK_AHEAD_MS = 30 * DAY_MS;
  let accepted: IssuedCertificate;
  let refused: IssuedCertificate;

  beforeAll(async () => {
    ({ s, operator } = await useScenario('apig-errors', {
      now: () => new Date(Date.now() + APIG_CLOCK_AHEAD_MS),
    }));
    accepted = await certificate(90);
    refused = await certificate(10);
  });

  afterAll(async () => {
    await s.close();
  });

  const refusedLines = () =>
    operator.logs.filter((l) => l.msg === 'reconciled' && l.resource === `${s.namespace}/refused`)
      .length;

  it('does not hot-loop on a 400: one PUT, also after time passes and an unrelated Secret change', async () => {
    await s.writeTlsSecret('refused-tls', refused);
    await s.createCertificate('refused', { certificateId: 'cert-refused' });
    const resource = await s.waitForReady('refused', 'False', 'ApigRejected');
    expect(resource.status?.lastError).toMatchObject({ code: 'APIG.2102', httpStatus: 400 });
    expect(resource.status?.lastError?.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(putsFor(s, 'cert-refused')).toHaveLength(1);

    await sleep(5_000);
    expect(putsFor(s, 'cert-refused')).toHaveLength(1);

    const reconciledBefore = refusedLines();
    await annotateSecret(s, 'refused-tls', 'once');
    await eventually('a reconcile after the annotation', () =>
      Promise.resolve(refusedLines() > reconciledBefore),
    );
    await sleep(1_000);
    expect(putsFor(s, 'cert-refused')).toHaveLength(1);
    const warnings = (await s.events('refused')).filter((e) => e.reason === 'ApigRejected');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.type).toBe('Warning');
  });

  it('reports the truth when the Secret moves between accepted and refused content', async () => {
    const steps: {
      cert: IssuedCertificate;
      ready: 'True' | 'False';
      reason: string;
      puts: number;
    }[] = [
      { cert: accepted, ready: 'True', reason: 'Synced', puts: 2 },
      { cert: refused, ready: 'False', reason: 'ApigRejected', puts: 3 },
      // APIG still holds the accepted certificate: nothing to send.
      { cert: accepted, ready: 'True', reason: 'Synced', puts: 3 },
      // Refused again after a change: tried once more, never shown as Ready.
      { cert: refused, ready: 'False', reason: 'ApigRejected', puts: 4 },
    ];
    for (const step of steps) {
      const before = await s.getCertificate('refused');
      await s.writeTlsSecret('refused-tls', step.cert);
      const resource = await eventually(`Ready=${step.ready} (${step.reason})`, async () => {
        const r = await s.getCertificate('refused');
        const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
        const moved = r.metadata.resourceVersion !== before.metadata.resourceVersion;
        return moved && ready?.status === step.ready && ready.reason === step.reason
          ? r
          : undefined;
      });
      await sleep(500);
      expect(putsFor(s, 'cert-refused')).toHaveLength(step.puts);
      if (step.ready === 'True') {
        expect(resource.status?.lastError).toBeUndefined();
        expect(resource.status?.serialNumber).toBe(decimal(accepted.serialNumber));
      } else {
        expect(resource.status?.lastError?.code).toBe('APIG.2102');
      }
    }
    expect(s.simulator.certificate('cert-refused')?.serialNumber).toBe(
      decimal(accepted.serialNumber),
    );
  });

  it.each([
    {
      name: 'server-error',
      what: '500 twice',
      fault: { kind: 'serverError' as const },
      times: 2,
      status: 500,
      reason: 'ApigUnavailable',
    },
    {
      name: 'reset',
      what: 'a connection reset',
      fault: { kind: 'reset' as const },
      times: 1,
      status: 0,
      reason: 'ApigUnavailable',
    },
  ])('recovers from $what with backoff', async ({ name, fault, times, status, reason }) => {
    const id = `cert-${name}`;
    s.simulator.addFault({ fault, method: 'PUT', certificateId: id, times });
    await s.writeTlsSecret(`${name}-tls`, accepted);
    await s.createCertificate(name, { certificateId: id });
    const resource = await s.waitForReady(name, 'True', 'Synced');
    expect(resource.status?.lastError).toBeUndefined();
    await sleep(500);

    const attempts = putsFor(s, id);
    expect(attempts.map((a) => [a.status, a.fault])).toEqual([
      ...Array.from({ length: times }, () => [status, fault.kind]),
      [200, undefined],
    ]);
    expect(attempts.length).toBeLessThanOrEqual(4);
    const gaps = gapsMs(attempts);
    // Per-key exponential backoff: about 1 s, then about 2 s (jitter only shortens).
    expect(gaps[0]).toBeGreaterThanOrEqual(700);
    if (times > 1) expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    const warning = await eventually(`a Warning ${reason} event`, async () =>
      (await s.events(name)).find((e) => e.reason === reason),
    );
    expect(warning.type).toBe('Warning');
  });

  it.each([
    {
      name: 'throttle-429',
      what: '429 with Retry-After: 2',
      fault: { kind: 'throttle429' as const, retryAfterSeconds: 2 },
      status: 429,
      // Retry-After holds every request of the client, this one too.
      gap: { min: 1_900, max: 4_000 },
    },
    {
      name: 'throttle-500',
      what: '500 APIG.9008 (throttling)',
      fault: { kind: 'throttle500' as const },
      status: 500,
      // No Retry-After: the next slot of the lowered shared rate, not a 2-5 s wait.
      gap: { min: 0, max: 1_500 },
    },
  ])('sends a PUT throttled once ($what) again from the shared pacer', async (c) => {
    const id = `cert-${c.name}`;
    s.simulator.addFault({ fault: c.fault, method: 'PUT', certificateId: id, times: 1 });
    await s.writeTlsSecret(`${c.name}-tls`, accepted);
    await s.createCertificate(c.name, { certificateId: id });
    const resource = await s.waitForReady(c.name, 'True', 'Synced');
    expect(resource.status?.lastError).toBeUndefined();
    await sleep(500);

    const attempts = putsFor(s, id);
    expect(attempts.map((a) => [a.status, a.fault])).toEqual([
      [c.status, c.fault.kind],
      [200, undefined],
    ]);
    const [gap] = gapsMs(attempts);
    expect(gap).toBeGreaterThanOrEqual(c.gap.min);
    expect(gap).toBeLessThan(c.gap.max);
    // The reconcile never saw the 429: nothing for the user to act on.
    expect((await s.events(c.name)).map((e) => e.reason)).not.toContain('ApigThrottled');
  });

  it(`hands a PUT throttled ${MAX_THROTTLED_ATTEMPTS} times in a row to the work queue: ApigThrottled, then Ready`, async () => {
    const id = 'cert-throttled-long';
    const fault = { kind: 'throttle500' as const };
    s.simulator.addFault({
      fault,
      method: 'PUT',
      certificateId: id,
      times: MAX_THROTTLED_ATTEMPTS,
    });
    await s.writeTlsSecret('throttled-long-tls', accepted);
    await s.createCertificate('throttled-long', { certificateId: id });
    const warning = await eventually('a Warning ApigThrottled event', async () =>
      (await s.events('throttled-long')).find((e) => e.reason === 'ApigThrottled'),
    );
    expect(warning.type).toBe('Warning');
    await s.waitForReady('throttled-long', 'True', 'Synced');
    await sleep(500);

    const attempts = putsFor(s, id);
    expect(attempts.map((a) => a.status)).toEqual([
      ...Array.from({ length: MAX_THROTTLED_ATTEMPTS }, () => 500),
      200,
    ]);
    // The pacer gave up; the queue waited APIG's suggested 2-5 s.
    expect(gapsMs(attempts).at(-1)).toBeGreaterThanOrEqual(1_900);
  });

  it('never shows a private key or the token in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: [s.token] })).toEqual([]);
  });
});

describe('IAM password tokens', () => {
  let s: Scenario;
  let operator: OperatorProcess;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const users = [{ domain: 'acme', name: 'cert-sync', password, project: DEFAULT_PROJECT_NAME }];

  beforeAll(async () => {
    s = await createScenario('apig-iam', { users });
    operator = s.startOperator({
      APIG_AUTH_TOKEN: undefined,
      HUAWEICLOUD_IAM_ENDPOINT: s.simulator.url,
      HUAWEICLOUD_USERNAME: 'cert-sync',
      HUAWEICLOUD_PASSWORD: password,
      HUAWEICLOUD_DOMAIN_NAME: 'acme',
      HUAWEICLOUD_PROJECT_NAME: DEFAULT_PROJECT_NAME,
    });
  });

  afterAll(async () => {
    await s.close();
  });

  const tokenRequests = () =>
    s.simulator.requests().filter((r) => r.service === 'iam' && r.method === 'POST');

  /** The longest run of consecutive 401 answers among certificate calls. */
  function longest401Run(): number {
    let run = 0;
    let longest = 0;
    for (const r of s.simulator.requests().filter((e) => e.service !== 'iam')) {
      run = r.status === 401 ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    return longest;
  }

  it('syncs with one IAM token', async () => {
    await s.writeTlsSecret('shop-tls', await certificate());
    await s.createCertificate('shop', { certificateId: 'cert-shop' });
    await s.waitForReady('shop');
    expect(tokenRequests()).toHaveLength(1);
    expect(putsFor(s, 'cert-shop').map((r) => [r.status, r.auth])).toEqual([[200, 'token']]);
  });

  it('refreshes an expired token exactly once and lands the rotation', async () => {
    s.simulator.expireTokens();
    const rotated = await certificate();
    await s.writeTlsSecret('shop-tls', rotated);
    await waitForSerial(s, 'cert-shop', rotated);
    const resource = await s.waitForReady('shop');
    expect(resource.status?.serialNumber).toBe(decimal(rotated.serialNumber));
    expect(resource.status?.lastError).toBeUndefined();
    await sleep(500);
    expect(tokenRequests()).toHaveLength(2);
    expect(putsFor(s, 'cert-shop').map((r) => r.status)).toEqual([200, 401, 200]);
    expect(longest401Run()).toBe(1);
  });

  it('does not retry in a loop when IAM refuses the credentials; a later change recovers', async () => {
    s.simulator.expireTokens();
    s.simulator.addFault({ fault: { kind: 'unauthorized' }, service: 'iam' });
    await s.writeTlsSecret('shop-tls', await certificate());
    const resource = await s.waitForReady('shop', 'False', 'ApigUnauthorized');
    expect(resource.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
      /check them/,
    );
    const iamBefore = tokenRequests().length;
    const putsBefore = putsFor(s, 'cert-shop').length;
    await sleep(3_000);
    expect(tokenRequests()).toHaveLength(iamBefore);
    expect(putsFor(s, 'cert-shop')).toHaveLength(putsBefore);
    expect(longest401Run()).toBe(1);

    s.simulator.clearFaults();
    const fixed = await certificate();
    await s.writeTlsSecret('shop-tls', fixed);
    await waitForSerial(s, 'cert-shop', fixed);
    await s.waitForReady('shop', 'True', 'Synced');
  });

  it('never shows a private key or the password in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: [password] })).toEqual(
      [],
    );
  });
});

describe('AK/SK signing', () => {
  let s: Scenario;
  let operator: OperatorProcess;
  const ak = `AK${randomBytes(9).toString('hex').toUpperCase()}`;
  const sk = randomBytes(20).toString('base64url');

  beforeAll(async () => {
    ({ s, operator } = await useScenario(
      'apig-aksk',
      { accessKeys: [{ ak, sk }] },
      { APIG_AUTH_TOKEN: undefined, HUAWEICLOUD_SDK_AK: ak, HUAWEICLOUD_SDK_SK: sk },
    ));
  });

  afterAll(async () => {
    await s.close();
  });

  it('syncs and rotates with signed requests', async () => {
    await s.writeTlsSecret('shop-tls', await certificate());
    await s.createCertificate('shop', { certificateId: 'cert-shop' });
    await s.waitForReady('shop');
    const rotated = await certificate();
    await s.writeTlsSecret('shop-tls', rotated);
    await waitForSerial(s, 'cert-shop', rotated);
    await s.waitForReady('shop');
    expect(putsFor(s, 'cert-shop').map((r) => [r.status, r.auth])).toEqual([
      [200, 'aksk'],
      [200, 'aksk'],
    ]);
    expect(s.simulator.accessKeyLockedUntil(ak)).toBeUndefined();
  });

  it('never shows a private key or the SK in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: [sk] })).toEqual([]);
  });
});

describe('ROMA Connect', () => {
  let s: Scenario;
  let operator: OperatorProcess;

  beforeAll(async () => {
    ({ s, operator } = await useScenario('apig-roma', {}, { APIG_SERVICE: 'roma' }));
  });

  afterAll(async () => {
    await s.close();
  });

  it('sends certificates to /apic/ paths', async () => {
    await s.writeTlsSecret('shop-tls', await certificate());
    await s.createCertificate('shop', { certificateId: 'cert-shop' });
    await s.waitForReady('shop');
    const paths = s.simulator.requests().map((r) => `${r.method} ${r.path}`);
    expect(paths).toEqual([`PUT /v2/${s.simulator.projectId}/apic/certificates/cert-shop`]);
  });

  it('never shows a private key or the token in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: [s.token] })).toEqual([]);
  });
});
