// The certificate's whole lifecycle in APIG, against the real kube-apiserver
// with the operator as a process and the simulator as APIG: create, adopt,
// ambiguous, rename, domains (attach, SAN coverage, detach, foreign
// attachments), one owner per target, drift (console edit and delete),
// deletionPolicy, and zero redundant writes across a restart.
import {
  APIG_CERTIFICATE_RESOURCE,
  CLEANUP_FINALIZER,
  SKIP_CLEANUP_ANNOTATION,
  type ApigCertificateResource,
  type ApigCertificateSpec,
} from '../../../../src/api/v1alpha1.ts';
import type { RequestLogEntry } from '../../../support/apig-simulator/index.ts';
import { issueCertificate, sharedKeyPair } from '../../../support/certs.ts';
import { eventually } from '../../../support/eventually.ts';
import type { OperatorProcess } from '../../../support/operator.ts';
import { createScenario, sleep, type Scenario } from '../../../support/scenario.ts';

const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);
const GATEWAY = 'gw-lifecycle-1';

let s: Scenario;
let operator: OperatorProcess;

/** Seeds nothing: a test that pins an ID seeds that certificate itself. */
async function create(name: string, spec: Partial<ApigCertificateSpec>): Promise<void> {
  await s.createCertificate(
    name,
    { name: `${name.replace(/-/g, '_')}_cert`, ...spec },
    { seed: false },
  );
}

async function patchSpec(name: string, spec: Partial<ApigCertificateSpec>): Promise<void> {
  const current = await s.getCertificate(name);
  await s.objects.patchNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace: s.namespace,
    name,
    body: [{ op: 'replace', path: '/spec', value: { ...current.spec, ...spec } }],
  });
}

async function remove(name: string): Promise<void> {
  await s.objects.deleteNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace: s.namespace,
    name,
  });
}

async function gone(name: string): Promise<void> {
  await eventually(`${name} to be deleted`, async () => {
    try {
      await s.getCertificate(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** Certificate writes the simulator saw for the resource's scope. */
function writes(filter: (entry: RequestLogEntry) => boolean = () => true): RequestLogEntry[] {
  return s.simulator
    .requests()
    .filter((r) => r.method !== 'GET' && r.path.includes('/certificates') && filter(r));
}

/** POSTs that create a certificate, whatever APIG answered. */
function creates(): RequestLogEntry[] {
  return s.simulator
    .requests()
    .filter((r) => r.method === 'POST' && /\/certificates$/.test(r.path));
}

/** Someone else (another tool, a person with the API) attaches a domain to the certificate. */
async function attachForeign(certificateId: string, domain: string): Promise<void> {
  const response = await fetch(
    `${s.simulator.url}/v2/${s.simulator.projectId}/apigw/certificates/${certificateId}/domains/attach`,
    {
      method: 'POST',
      headers: { 'X-Auth-Token': s.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ domains: [{ domain }] }),
    },
  );
  expect(response.status).toBe(204);
}

async function withSecret(name: string, commonName: string, dnsNames?: string[]) {
  const cert = dnsNames
    ? await issueCertificate({
        commonName,
        dnsNames,
        key: { kind: 'EC' },
        keyPair: await sharedKeyPair({ kind: 'EC' }),
      })
    : await s.issue(commonName);
  await s.writeTlsSecret(`${name}-tls`, cert);
  return cert;
}

beforeAll(async () => {
  s = await createScenario('lifecycle');
  operator = s.startOperator({ DRIFT_CHECK_INTERVAL: '4s' });
});

afterAll(async () => {
  await s.close();
});

describe('create, adopt, ambiguous, rename', () => {
  it('creates the certificate when none has the name, once, and records its ID', async () => {
    const cert = await withSecret('fresh', 'fresh.example.com');
    await create('fresh', {});
    const ready = await s.waitForReady('fresh');
    const id = ready.status?.certificateId;
    expect(id).toBeDefined();
    expect(ready.status?.created).toBe(true);
    expect(s.simulator.certificate(id!)?.serialNumber).toBe(decimal(cert.serialNumber));
    await sleep(1_000);
    expect(creates()).toHaveLength(1);
  });

  it('does not POST twice when the status write after a POST fails (409 from a spec edit)', async () => {
    await withSecret('racing', 'racing.example.com');
    s.simulator.addFault({ fault: { kind: 'latency', ms: 3_000 }, method: 'POST', times: 1 });
    const createsBefore = creates().length;
    await create('racing', {});
    await sleep(1_500);
    // A new generation while the POST is on its way: the status write gets 409.
    await patchSpec('racing', { suspend: false });
    const ready = await s.waitForReady('racing');
    expect(ready.metadata.generation).toBe(2);
    await sleep(1_000);
    expect(creates()).toHaveLength(createsBefore + 1);
    expect(ready.status?.created).toBe(true);
  });

  it('adopts the one certificate of that name, sending the content once', async () => {
    s.simulator.seedCertificate({ id: 'adopt-1', name: 'adopted_cert' });
    const cert = await withSecret('adopted', 'adopted.example.com');
    await create('adopted', { name: 'adopted_cert' });
    const ready = await s.waitForReady('adopted');
    expect(ready.status?.certificateId).toBe('adopt-1');
    expect(ready.status?.created).toBeUndefined();
    expect(s.simulator.certificate('adopt-1')?.serialNumber).toBe(decimal(cert.serialNumber));
    expect(s.simulator.successfulPuts('adopt-1')).toHaveLength(1);
  });

  it('refuses two certificates of that name, naming both, writing nothing', async () => {
    s.simulator.seedCertificate({ id: 'twin-a', name: 'twin_cert' });
    s.simulator.seedCertificate({ id: 'twin-b', name: 'twin_cert' });
    await withSecret('twins', 'twins.example.com');
    await create('twins', { name: 'twin_cert' });
    const refused = await s.waitForReady('twins', 'False', 'AmbiguousName');
    const ready = refused.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toContain('twin-a, twin-b');
    expect(writes((r) => r.certificateId === 'twin-a' || r.certificateId === 'twin-b')).toEqual([]);
  });

  it('renames the certificate in APIG with one PUT when spec.name changes', async () => {
    const before = await s.getCertificate('fresh');
    const id = before.status!.certificateId!;
    const puts = s.simulator.successfulPuts(id).length;
    await patchSpec('fresh', { name: 'renamed_cert' });
    await eventually('the new name in APIG', () =>
      Promise.resolve(s.simulator.certificate(id)?.name === 'renamed_cert'),
    );
    await s.waitForReady('fresh');
    expect(s.simulator.successfulPuts(id)).toHaveLength(puts + 1);
  });
});

describe('domains', () => {
  beforeAll(() => {
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-shop',
      groupName: 'shop',
      domain: 'api.shop.example.com',
    });
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-shop',
      groupName: 'shop',
      domain: 'www.shop.example.com',
    });
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-shop',
      groupName: 'shop',
      domain: 'legacy.shop.example.com',
    });
  });

  it('attaches the declared domains the SANs cover and reports them', async () => {
    await withSecret('shop', 'shop.example.com', ['*.shop.example.com']);
    await create('shop', {
      domains: [{ name: 'api.shop.example.com' }, { name: 'www.shop.example.com' }],
    });
    const ready = await s.waitForReady('shop');
    const id = ready.status!.certificateId!;
    expect(ready.status?.domains).toEqual([
      expect.objectContaining({
        name: 'api.shop.example.com',
        bound: true,
        apiGroupName: 'shop',
        instanceId: GATEWAY,
      }),
      expect.objectContaining({ name: 'www.shop.example.com', bound: true }),
    ]);
    const attached = s.simulator
      .domains()
      .filter((d) => d.certificateId === id)
      .map((d) => d.domain);
    expect(attached.sort()).toEqual(['api.shop.example.com', 'www.shop.example.com']);
  });

  it('refuses a domain the SANs do not cover before any call', async () => {
    await withSecret('narrow', 'narrow.example.com');
    const createsBefore = creates().length;
    await create('narrow', { domains: [{ name: 'api.shop.example.com' }] });
    const refused = await s.waitForReady('narrow', 'False', 'DomainNotCovered');
    expect(refused.status?.lastError?.message).toContain('api.shop.example.com');
    expect(refused.status?.certificateId).toBeUndefined();
    expect(creates()).toHaveLength(createsBefore);
  });

  it('detaches a domain removed from the spec and leaves a foreign attachment alone', async () => {
    const id = (await s.getCertificate('shop')).status!.certificateId!;
    await attachForeign(id, 'legacy.shop.example.com');
    await patchSpec('shop', { domains: [{ name: 'api.shop.example.com' }] });
    await eventually('www detached', () =>
      Promise.resolve(
        s.simulator.domains().find((d) => d.domain === 'www.shop.example.com')?.certificateId ===
          undefined,
      ),
    );
    const ready = await s.waitForReady('shop');
    expect(ready.status?.domains?.map((d) => d.name)).toEqual(['api.shop.example.com']);
    expect(
      s.simulator.domains().find((d) => d.domain === 'legacy.shop.example.com')?.certificateId,
    ).toBe(id);
    expect(
      s.simulator.domains().find((d) => d.domain === 'api.shop.example.com')?.certificateId,
    ).toBe(id);
  });

  it('attaches again a domain detached in the console, with a Drifted event', async () => {
    const id = (await s.getCertificate('shop')).status!.certificateId!;
    s.simulator.consoleDetach(id, 'api.shop.example.com');
    await eventually(
      'api attached again',
      () =>
        Promise.resolve(
          s.simulator.domains().find((d) => d.domain === 'api.shop.example.com')?.certificateId ===
            id,
        ),
      20_000,
    );
    await eventually('a Drifted event', async () =>
      (await s.events('shop')).some((e) => e.reason === 'Drifted' && e.type === 'Warning'),
    );
  });
});

describe('one owner per APIG certificate', () => {
  it('refuses the younger of two resources on one ID, and hands over when the older goes', async () => {
    s.simulator.seedCertificate({ id: 'shared-1', name: 'shared_cert' });
    const first = await withSecret('owner', 'owner.example.com');
    await create('owner', { certificateId: 'shared-1', name: 'shared_cert' });
    await s.waitForReady('owner');
    await sleep(1_100); // creationTimestamp has a one-second resolution
    const second = await withSecret('rival', 'rival.example.com');
    await create('rival', { certificateId: 'shared-1', name: 'shared_cert' });
    const refused = await s.waitForReady('rival', 'False', 'DuplicateTarget');
    expect(refused.status?.conditions?.find((c) => c.type === 'Ready')?.message).toContain(
      `${s.namespace}/owner`,
    );
    expect(s.simulator.certificate('shared-1')?.serialNumber).toBe(decimal(first.serialNumber));
    await remove('owner');
    await s.waitForReady('rival');
    expect(s.simulator.certificate('shared-1')?.serialNumber).toBe(decimal(second.serialNumber));
  });
});

describe('drift', () => {
  it('puts back a certificate edited in the console within a drift interval', async () => {
    const cert = await withSecret('edited', 'edited.example.com');
    await create('edited', {});
    const id = (await s.waitForReady('edited')).status!.certificateId!;
    const other = await s.issue('console.example.com');
    s.simulator.consoleEdit(id, { certContent: other.chainPem, privateKey: other.keyPem });
    await eventually(
      'the Secret content back in APIG',
      () =>
        Promise.resolve(s.simulator.certificate(id)?.serialNumber === decimal(cert.serialNumber)),
      20_000,
    );
    const drifted = await eventually('a Drifted event', async () =>
      (await s.events('edited')).find((e) => e.reason === 'Drifted'),
    );
    expect(drifted.message).toContain('serial');
    const status = (await s.getCertificate('edited')).status;
    expect(status?.lastDriftCheckTime).toBeDefined();
  });

  it('corrects a late PUT that overtook a newer one within a drift interval', async () => {
    s.simulator.seedCertificate({ id: 'late-1', name: 'late_cert' });
    await withSecret('late', 'late.example.com');
    await create('late', { certificateId: 'late-1', name: 'late_cert' });
    await s.waitForReady('late');
    s.simulator.addFault({
      fault: { kind: 'applyLate' },
      method: 'PUT',
      certificateId: 'late-1',
      times: 1,
    });
    const older = await withSecret('late', 'late.example.com');
    await eventually('the held PUT', () =>
      Promise.resolve(
        s.simulator.requests().some((r) => r.certificateId === 'late-1' && r.fault === 'applyLate'),
      ),
    );
    // While the operator backs off, the Secret changes again: the newer PUT goes
    // first, and the held older one is applied after it.
    const newer = await withSecret('late', 'late.example.com');
    await eventually('the older content applied last', () =>
      Promise.resolve(
        s.simulator.certificate('late-1')?.serialNumber === decimal(older.serialNumber),
      ),
    );
    await eventually(
      'the newer content back within a drift interval',
      () =>
        Promise.resolve(
          s.simulator.certificate('late-1')?.serialNumber === decimal(newer.serialNumber),
        ),
      20_000,
    );
    await eventually('a Drifted event', async () =>
      (await s.events('late')).some((e) => e.reason === 'Drifted'),
    );
  });

  it('recreates a certificate it created and that was deleted in the console', async () => {
    await withSecret('recreated', 'recreated.example.com');
    await create('recreated', {});
    const first = (await s.waitForReady('recreated')).status!.certificateId!;
    s.simulator.consoleDelete(first);
    const again = await eventually(
      'a new certificate',
      async () => {
        const status = (await s.getCertificate('recreated')).status;
        return status?.certificateId && status.certificateId !== first
          ? status.certificateId
          : undefined;
      },
      20_000,
    );
    expect(s.simulator.certificate(again)?.name).toBe('recreated_cert');
  });

  it('reports ApigCertificateNotFound when a pinned ID is deleted in the console', async () => {
    s.simulator.seedCertificate({ id: 'pinned-1', name: 'pinned_cert' });
    await withSecret('pinned', 'pinned.example.com');
    await create('pinned', { certificateId: 'pinned-1', name: 'pinned_cert' });
    await s.waitForReady('pinned');
    s.simulator.consoleDelete('pinned-1');
    await s.waitForReady('pinned', 'False', 'ApigCertificateNotFound', 20_000);
    expect(s.simulator.certificate('pinned-1')).toBeUndefined();
  });
});

describe('deletionPolicy', () => {
  it('Delete: adds the finalizer; deletion detaches its domains and deletes what it created', async () => {
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-del',
      groupName: 'del',
      domain: 'api.del.example.com',
    });
    await withSecret('doomed', 'api.del.example.com');
    await create('doomed', {
      deletionPolicy: 'Delete',
      domains: [{ name: 'api.del.example.com' }],
    });
    const ready = await s.waitForReady('doomed');
    expect(ready.metadata).toMatchObject({ finalizers: [CLEANUP_FINALIZER] });
    const id = ready.status!.certificateId!;
    await remove('doomed');
    await gone('doomed');
    expect(s.simulator.certificate(id)).toBeUndefined();
    expect(
      s.simulator.domains().find((d) => d.domain === 'api.del.example.com')?.certificateId,
    ).toBeUndefined();
  });

  it('Delete of an adopted certificate detaches only; skip-cleanup leaves APIG alone', async () => {
    s.simulator.seedCertificate({ id: 'kept-1', name: 'kept_cert' });
    await withSecret('kept', 'kept.example.com');
    await create('kept', { name: 'kept_cert', deletionPolicy: 'Delete' });
    await s.waitForReady('kept');
    await remove('kept');
    await gone('kept');
    expect(s.simulator.certificate('kept-1')).toBeDefined();

    await withSecret('skipped', 'skipped.example.com');
    await create('skipped', { deletionPolicy: 'Delete' });
    const id = (await s.waitForReady('skipped')).status!.certificateId!;
    await s.objects.patchNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'skipped',
      body: [
        { op: 'add', path: '/metadata/annotations', value: { [SKIP_CLEANUP_ANNOTATION]: 'true' } },
      ],
    });
    await remove('skipped');
    await gone('skipped');
    expect(s.simulator.certificate(id)).toBeDefined();
  });

  it('Delete refused by APIG (a foreign attachment): keeps the finalizer, says why, backs off, goes once it is detached', async () => {
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-refused',
      groupName: 'refused',
      domain: 'api.refused.example.com',
    });
    s.simulator.seedDomain({
      instanceId: GATEWAY,
      groupId: 'g-refused',
      groupName: 'refused',
      domain: 'other.refused.example.com',
    });
    await withSecret('refused', 'refused.example.com', ['*.refused.example.com']);
    await create('refused', {
      deletionPolicy: 'Delete',
      domains: [{ name: 'api.refused.example.com' }],
    });
    const id = (await s.waitForReady('refused')).status!.certificateId!;
    await attachForeign(id, 'other.refused.example.com');
    const deletes = () =>
      s.simulator.requests().filter((r) => r.method === 'DELETE' && r.certificateId === id);

    await remove('refused');
    // Not waitForReady: a deletion bumps the generation and status.observedGeneration
    // records the last sync, so the condition is read as it is.
    const failed = await eventually('refused Ready=False (CleanupFailed)', async () => {
      const resource = await s.getCertificate('refused');
      const ready = resource.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && ready.reason === 'CleanupFailed' ? resource : undefined;
    });
    expect(failed.metadata.finalizers).toEqual([CLEANUP_FINALIZER]);
    expect(failed.status?.lastError?.code).toBe('APIG.3472');
    const event = await eventually('a CleanupFailed event', async () =>
      (await s.events('refused')).find((e) => e.reason === 'CleanupFailed'),
    );
    expect(event.type).toBe('Warning');
    expect(event.message).toContain('APIG.3472');
    // Its own domain is detached; the foreign one is not the operator's to detach.
    const bound = (domain: string) =>
      s.simulator.domains().find((d) => d.domain === domain)?.certificateId;
    expect(bound('api.refused.example.com')).toBeUndefined();
    expect(bound('other.refused.example.com')).toBe(id);

    // Backoff, not a hot loop: over 8 s, exponential from 1 s allows a handful.
    const before = deletes().length;
    await sleep(8_000);
    const during = deletes().length - before;
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThanOrEqual(5);
    expect(deletes().every((r) => r.status === 403 && r.errorCode === 'APIG.3472')).toBe(true);
    expect(bound('other.refused.example.com')).toBe(id);

    s.simulator.consoleDetach(id, 'other.refused.example.com');
    await gone('refused');
    expect(s.simulator.certificate(id)).toBeUndefined();
  });

  it('Retain: no finalizer, and the resource deletes at once with the operator stopped', async () => {
    await withSecret('retained', 'retained.example.com');
    await create('retained', {});
    const ready: ApigCertificateResource = await s.waitForReady('retained');
    expect(ready.metadata).not.toHaveProperty('finalizers');
    const requestsBefore = s.simulator.requests().length;
    await operator.stop('SIGTERM');
    await remove('retained');
    await gone('retained');
    expect(s.simulator.certificate(ready.status!.certificateId!)).toBeDefined();
    // A restart with everything in place writes nothing to APIG.
    operator = s.startOperator({ DRIFT_CHECK_INTERVAL: '1h' });
    await sleep(5_000);
    expect(writes().filter((r) => s.simulator.requests().indexOf(r) >= requestsBefore)).toEqual([]);
  });
});
