// The operator as users run it, against the real apiserver and the APIG
// simulator: first sync, rotation, restart, changes that must not cause PUTs.
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';

let s: Scenario;
let operator: OperatorProcess;

beforeAll(async () => {
  s = await createScenario('lifecycle');
  operator = s.startOperator();
});

afterAll(async () => {
  await s.close();
});

const puts = (id: string) => s.simulator.successfulPuts(id).length;

describe('operator lifecycle', () => {
  let firstKey = '';

  it('sends the Secret on first sync and reports what APIG answered', async () => {
    const cert = await s.issue();
    firstKey = cert.keyPem;
    await s.writeTlsSecret('shop-tls', cert);
    await s.createCertificate('shop', { certificateId: 'cert-shop', name: 'shop_cert' });
    const resource = await s.waitForReady('shop');

    const stored = s.simulator.certificate('cert-shop')!;
    expect(stored.certContent?.trim()).toBe(cert.chainPem.trim());
    expect(puts('cert-shop')).toBe(1);
    expect(resource.status).toMatchObject({
      serialNumber: stored.serialNumber,
      notAfter: stored.notAfter,
      commonName: 'shop.example.com',
      san: ['shop.example.com'],
      algorithmType: 'ECC',
      observedGeneration: 1,
    });
    expect(resource.status?.syncedHash).toMatch(/^sha256:/);
    expect(resource.status?.lastError).toBeUndefined();
    const events = await eventually('a Synced event', async () => {
      const list = await s.events('shop');
      return list.some((e) => e.reason === 'Synced') ? list : undefined;
    });
    expect(events.find((e) => e.reason === 'Synced')?.type).toBe('Normal');
  });

  it('sends a rotated certificate exactly once', async () => {
    const before = await s.getCertificate('shop');
    const rotated = await s.issue();
    await s.writeTlsSecret('shop-tls', rotated);
    const after = await eventually('the new serial in status', async () => {
      const r = await s.getCertificate('shop');
      return r.status?.serialNumber !== before.status?.serialNumber ? r : undefined;
    });
    expect(after.status?.serialNumber).toBe(s.simulator.certificate('cert-shop')!.serialNumber);
    expect(s.simulator.certificate('cert-shop')!.certContent?.trim()).toBe(rotated.chainPem.trim());
    await sleep(1_000);
    expect(puts('cert-shop')).toBe(2);
  });

  it('sends nothing for label, annotation or Secret metadata changes', async () => {
    await s.objects.patchNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'shop',
      body: [{ op: 'add', path: '/metadata/labels', value: { team: 'web' } }],
    });
    const secret = await s.core.readNamespacedSecret({ name: 'shop-tls', namespace: s.namespace });
    secret.metadata!.annotations = { 'example.com/touched': 'yes' };
    await s.core.replaceNamespacedSecret({
      name: 'shop-tls',
      namespace: s.namespace,
      body: secret,
    });
    await operator.waitForLog((l) => l.msg === 'reconciled' && l.result === 'unchanged', 10_000);
    await sleep(1_000);
    expect(puts('cert-shop')).toBe(2);
  });

  it('sends nothing after a restart, and stops on SIGTERM promptly with exit code 0', async () => {
    const stopped = await operator.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(5_000);
    operator = s.startOperator();
    await operator.waitForLog((l) => l.msg === 'reconciled' && l.result === 'unchanged', 30_000);
    await sleep(1_000);
    expect(puts('cert-shop')).toBe(2);
    expect(await operator.probe('/readyz')).toBe(200);
    expect(await operator.probe('/healthz')).toBe(200);
  });

  it('exports the certificate expiry, and removes the series when the resource is deleted', async () => {
    const metrics = await operator.metrics();
    expect(metrics).toMatch(/^apig_certificate_not_after_seconds\{[^}]*name="shop"[^}]*\} \d+/m);
    expect(metrics).toMatch(/^apig_certificate_ready\{[^}]*name="shop"[^}]*\} 1$/m);
    await s.objects.deleteNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'shop',
    });
    await eventually('the series to go', async () => !/name="shop"/.test(await operator.metrics()));
  });

  it('never logs key material', () => {
    const output = operator.output();
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain(firstKey.split('\n')[1]);
    expect(output).not.toContain(s.token);
  });
});
