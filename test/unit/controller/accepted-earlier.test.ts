// A PUT APIG accepted whose status write failed (API server down) is recorded
// on the next pass, not sent again: one PUT per distinct content.
import type {
  ApigCertificate,
  CertificateBody,
  CertificateTarget,
} from '../../../src/apig/index.ts';
import type { ApigCertificateResource } from '../../../src/api/v1alpha1.ts';
import {
  reconcile,
  type ApigUpdater,
  type ReconcileInput,
} from '../../../src/controller/reconcile.ts';
import { issueCertificate, sharedKeyPair, tlsSecretData } from '../../support/certs.ts';

const NOW = new Date('2026-11-28T12:00:00Z');
const LATER = new Date(NOW.getTime() + 60_000);
const DAY = 86_400_000;

class CountingApig implements ApigUpdater {
  puts = 0;

  updateCertificate(target: CertificateTarget, body: CertificateBody): Promise<ApigCertificate> {
    this.puts++;
    return Promise.resolve({
      id: target.certificateId,
      name: body.name,
      type: 'global',
      instanceId: 'common',
      projectId: target.projectId ?? '',
      commonName: 'app.example.com',
      san: ['app.example.com'],
      notAfter: '2027-02-26T12:00:00Z',
      notBefore: '2026-11-28T11:00:00Z',
      serialNumber: String(this.puts),
      signatureAlgorithm: 'SHA256-ECDSA',
      algorithmType: 'ECC',
      issuer: ['app.example.com'],
    } as ApigCertificate);
  }
}

async function secret(commonName: string): Promise<ReconcileInput['secret']> {
  const issued = await issueCertificate({
    commonName,
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 90 * DAY),
  });
  return { found: true, value: { type: 'kubernetes.io/tls', data: tlsSecretData(issued) } };
}

const resource: ApigCertificateResource = {
  metadata: { name: 'shop', namespace: 'web', generation: 1 },
  spec: { certificateId: 'cert-1', name: 'shop_cert', secretRef: { name: 'shop-tls' } },
};

async function input(commonName = 'app.example.com'): Promise<ReconcileInput> {
  return {
    resource,
    secret: await secret(commonName),
    apig: { endpoint: 'https://apig.example', service: 'apig', defaultProjectId: 'proj-1' },
    now: NOW,
    retryRefusedAfterMs: 10 * 3_600_000,
  };
}

describe('reconcile after a status write was lost', () => {
  it('hands back what APIG accepted, so the controller can keep it until the status is written', async () => {
    const apig = new CountingApig();
    const one = await reconcile(await input(), apig);
    expect(one.result).toBe('synced');
    expect(one.accepted).toMatchObject({ digest: one.status.syncedHash, at: NOW });
    expect(one.accepted?.answer.serialNumber).toBe('1');
  });

  it('records the accepted content without a second PUT when the Secret is unchanged', async () => {
    const apig = new CountingApig();
    const first = await input();
    const one = await reconcile(first, apig);
    // The status write failed: the resource still has no status.
    const two = await reconcile({ ...first, now: LATER, acceptedEarlier: one.accepted }, apig);
    expect(apig.puts).toBe(1);
    expect(two.result).toBe('synced');
    // Everything APIG answered, as of when it answered; only the condition's
    // transition is dated when it is recorded.
    const { conditions: _recordedNow, ...recorded } = two.status;
    const { conditions: _recordedThen, ...answered } = one.status;
    expect(recorded).toEqual(answered);
    expect(two.status.lastSyncTime).toBe(NOW.toISOString());
    expect(two.status.conditions).toMatchObject([
      { type: 'Ready', status: 'True', reason: 'Synced' },
    ]);
    expect(two.event).toMatchObject({ type: 'Normal', reason: 'Synced' });
  });

  it('sends a content that changed since', async () => {
    const apig = new CountingApig();
    const one = await reconcile(await input(), apig);
    const changed = await input('renewed.example.com');
    const two = await reconcile({ ...changed, now: LATER, acceptedEarlier: one.accepted }, apig);
    expect(apig.puts).toBe(2);
    expect(two.result).toBe('synced');
    expect(two.status.syncedHash).not.toBe(one.status.syncedHash);
    expect(two.status.lastSyncTime).toBe(LATER.toISOString());
  });
});
