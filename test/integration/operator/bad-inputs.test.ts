// Every input the operator must refuse before anything reaches APIG: each gives
// Ready=False with its documented reason, a Warning event, status.lastError,
// and no PUT, while a good resource in the same namespace keeps syncing; a
// fixed input recovers with exactly one PUT.
import { randomBytes } from 'node:crypto';
import { APIG_CERTIFICATE_KIND, type ApigCertificateSpec } from '../../../src/api/v1alpha1.ts';
import {
  createCA,
  encryptPrivateKey,
  issueCertificate,
  issueSm2Certificate,
  reverseChain,
  sharedKeyPair,
  type IssuedCertificate,
} from '../../support/certs.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { findLeaks } from './leak-scan.ts';

let s: Scenario;
let operator: OperatorProcess;

const DAY_MS = 86_400_000;
/** Secret data may total 1 MiB; stay just under it. */
const NEAR_SECRET_LIMIT = 1024 * 1024 - 4096;

const puts = (id: string) => s.simulator.successfulPuts(id).length;
/** Every PUT that reached the simulator for `id`, whatever it answered. */
const putAttempts = (id: string) =>
  s.simulator.requests().filter((r) => r.method === 'PUT' && r.certificateId === id).length;

type SecretData = Record<string, string | Buffer>;

async function putSecret(
  name: string,
  data: SecretData,
  options: { type?: string; annotations?: Record<string, string> } = {},
): Promise<void> {
  const body = {
    metadata: { name, namespace: s.namespace, annotations: options.annotations },
    type: options.type ?? 'kubernetes.io/tls',
    data: Object.fromEntries(
      Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    ),
  };
  try {
    await s.core.replaceNamespacedSecret({ name, namespace: s.namespace, body });
  } catch {
    await s.core.createNamespacedSecret({ namespace: s.namespace, body });
  }
}

async function putConfigMap(name: string, data: Record<string, string>): Promise<void> {
  await s.core.createNamespacedConfigMap({
    namespace: s.namespace,
    body: { metadata: { name }, data },
  });
}

const tls = (c: { chainPem: string; keyPem: string }): SecretData => ({
  'tls.crt': c.chainPem,
  'tls.key': c.keyPem,
});

/** A leaf on the shared EC key (fast), valid now unless told otherwise. */
async function leaf(commonName: string, extra: Parameters<typeof issueCertificate>[0] = {}) {
  return issueCertificate({
    commonName,
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
    ...extra,
  });
}

interface BadInput {
  /** The ApigCertificate's name; its Secret is `<resource>-tls`, its APIG certificate `cert-<resource>`. */
  resource: string;
  what: string;
  reason: string;
  /** status.lastError.code; the reason unless APIG answered. */
  code?: string;
  /** PUTs that reach APIG: 0 for every input the operator checks itself. */
  attempts?: number;
  /** The APIG certificate exists in the simulator; false for the unknown-ID case. */
  seed?: boolean;
  /** Writes what the resource reads; returns spec fields beyond certificateId and secretRef. */
  prepare: (secretName: string) => Promise<Partial<ApigCertificateSpec>>;
}

let good: IssuedCertificate;

const badInputs: BadInput[] = [
  {
    resource: 'no-secret',
    what: 'the Secret does not exist',
    reason: 'SecretNotFound',
    prepare: () => Promise.resolve({}),
  },
  {
    resource: 'opaque',
    what: 'an Opaque Secret instead of kubernetes.io/tls',
    reason: 'SecretTypeInvalid',
    prepare: async (secret) => {
      await putSecret(secret, tls(good), { type: 'Opaque' });
      return {};
    },
  },
  {
    resource: 'no-key',
    what: 'an empty tls.key',
    reason: 'SecretDataMissing',
    prepare: async (secret) => {
      await putSecret(secret, { 'tls.crt': good.chainPem, 'tls.key': '' });
      return {};
    },
  },
  {
    resource: 'empty',
    what: 'empty data',
    reason: 'SecretDataMissing',
    prepare: async (secret) => {
      await putSecret(secret, { 'tls.crt': '', 'tls.key': '' });
      return {};
    },
  },
  {
    resource: 'garbage',
    what: 'binary garbage in tls.crt',
    reason: 'CertificateNotPEM',
    prepare: async (secret) => {
      await putSecret(secret, { 'tls.crt': randomBytes(600), 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'huge',
    what: 'a Secret near the 1 MiB limit (a certificate followed by text)',
    reason: 'CertificateNotPEM',
    prepare: async (secret) => {
      const padding = 'x'.repeat(63) + '\n';
      const room = NEAR_SECRET_LIMIT - good.chainPem.length - good.keyPem.length;
      const crt = good.chainPem + padding.repeat(Math.floor(room / padding.length));
      await putSecret(secret, { 'tls.crt': crt, 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'only-key',
    what: 'tls.crt holding only a private key',
    reason: 'CertificateMissing',
    prepare: async (secret) => {
      await putSecret(secret, { 'tls.crt': good.keyPem, 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'key-in-crt',
    what: 'tls.crt holding the certificate and its key',
    reason: 'UnexpectedPEMBlock',
    prepare: async (secret) => {
      await putSecret(secret, { 'tls.crt': good.chainPem + good.keyPem, 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'two-leaves',
    what: 'two leaf certificates',
    reason: 'MultipleLeafCertificates',
    prepare: async (secret) => {
      const other = await issueCertificate({
        commonName: 'other.example.com',
        key: { kind: 'EC' },
      });
      await putSecret(secret, { 'tls.crt': good.certPem + other.certPem, 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'mismatch',
    what: 'a key that is not the certificate’s',
    reason: 'KeyMismatch',
    prepare: async (secret) => {
      const foreign = await issueCertificate({
        commonName: 'shop.example.com',
        key: { kind: 'EC' },
      });
      await putSecret(secret, { 'tls.crt': foreign.chainPem, 'tls.key': good.keyPem });
      return {};
    },
  },
  {
    resource: 'encrypted',
    what: 'an encrypted private key',
    reason: 'PrivateKeyEncrypted',
    prepare: async (secret) => {
      const keyPem = encryptPrivateKey(good.keyPem, 'correct horse battery staple');
      await putSecret(secret, { 'tls.crt': good.chainPem, 'tls.key': keyPem });
      return {};
    },
  },
  {
    resource: 'expired',
    what: 'an expired certificate (and a Unicode APIG name)',
    reason: 'CertificateExpired',
    prepare: async (secret) => {
      const now = Date.now();
      const cert = await leaf('expired.example.com', {
        notBefore: new Date(now - 30 * DAY_MS),
        notAfter: new Date(now - DAY_MS),
      });
      await putSecret(secret, tls(cert));
      return { name: '证书_已过期' };
    },
  },
  {
    resource: 'not-yet-valid',
    what: 'a certificate not valid for another month',
    reason: 'CertificateNotYetValid',
    prepare: async (secret) => {
      const now = Date.now();
      const cert = await leaf('future.example.com', {
        notBefore: new Date(now + 30 * DAY_MS),
        notAfter: new Date(now + 90 * DAY_MS),
      });
      await putSecret(secret, tls(cert));
      return {};
    },
  },
  {
    resource: 'after-2038',
    what: 'a certificate valid after 2038-01-19',
    reason: 'ExpiresAfter2038',
    prepare: async (secret) => {
      const cert = await leaf('long.example.com', { notAfter: new Date('2040-01-01T00:00:00Z') });
      await putSecret(secret, tls(cert));
      return {};
    },
  },
  {
    resource: 'no-san',
    what: 'a certificate without subjectAltName',
    reason: 'NoSubjectAltName',
    prepare: async (secret) => {
      await putSecret(secret, tls(await leaf('nosan.example.com', { dnsNames: [] })));
      return {};
    },
  },
  {
    resource: 'out-of-order',
    what: 'a chain with the intermediate first',
    reason: 'ChainOutOfOrder',
    prepare: async (secret) => {
      const root = await createCA({ key: { kind: 'EC' } });
      const intermediate = await root.intermediate({ key: { kind: 'EC' } });
      const cert = await intermediate.issue({
        commonName: 'chain.example.com',
        keyPair: await sharedKeyPair({ kind: 'EC' }),
      });
      await putSecret(secret, { 'tls.crt': reverseChain(cert.chainPem), 'tls.key': cert.keyPem });
      return {};
    },
  },
  {
    resource: 'temporary',
    what: 'cert-manager’s temporary certificate (issuer CN=cert-manager.local)',
    reason: 'TemporaryCertificate',
    prepare: async (secret) => {
      const placeholderCA = await createCA({
        commonName: 'cert-manager.local',
        key: { kind: 'EC' },
      });
      const cert = await placeholderCA.issue({
        commonName: 'shop.example.com',
        keyPair: await sharedKeyPair({ kind: 'EC' }),
      });
      await putSecret(secret, tls(cert));
      return {};
    },
  },
  {
    resource: 'algorithm',
    what: 'algorithmType RSA for an EC key',
    reason: 'AlgorithmMismatch',
    prepare: async (secret) => {
      await putSecret(secret, tls(good));
      return { algorithmType: 'RSA' };
    },
  },
  {
    resource: 'sm2-no-sign',
    what: 'an SM2 certificate whose signSecretRef names a missing Secret',
    reason: 'SignSecretNotFound',
    prepare: async (secret) => {
      await putSecret(secret, tls(issueSm2Certificate({ commonName: 'sm2.example.com' })));
      return { algorithmType: 'SM2', signSecretRef: { name: 'sm2-signing-missing' } };
    },
  },
  {
    resource: 'root-cm-missing',
    what: 'a trustedRootCA ConfigMap that does not exist',
    reason: 'TrustedRootCANotFound',
    prepare: async (secret) => {
      await putSecret(secret, tls(good));
      return { trustedRootCA: { configMapRef: { name: 'no-such-ca', key: 'ca.crt' } } };
    },
  },
  {
    resource: 'root-key-missing',
    what: 'a trustedRootCA ConfigMap without the key named',
    reason: 'TrustedRootCANotFound',
    prepare: async (secret) => {
      await putSecret(secret, tls(good));
      await putConfigMap('ca-wrong-key', { 'root.pem': good.certPem });
      return { trustedRootCA: { configMapRef: { name: 'ca-wrong-key', key: 'ca.crt' } } };
    },
  },
  {
    resource: 'root-not-pem',
    what: 'a trustedRootCA that is not PEM',
    reason: 'TrustedRootCAInvalid',
    prepare: async (secret) => {
      await putSecret(secret, tls(good));
      await putConfigMap('ca-not-pem', { 'ca.crt': 'this is not a certificate' });
      return { trustedRootCA: { configMapRef: { name: 'ca-not-pem', key: 'ca.crt' } } };
    },
  },
  {
    resource: 'unknown-id',
    what: 'a certificateId APIG does not know',
    reason: 'ApigCertificateNotFound',
    code: 'APIG.3025',
    attempts: 1,
    seed: false,
    prepare: async (secret) => {
      await putSecret(secret, tls(good));
      return {};
    },
  },
];

beforeAll(async () => {
  s = await createScenario('bad-inputs');
  operator = s.startOperator();
  good = await leaf('good.example.com');
  await putSecret('good-tls', tls(good));
  await s.createCertificate('good', { certificateId: 'cert-good', name: 'Zertifikat_für_Läden' });
  for (const input of badInputs) {
    const secretName = `${input.resource}-tls`;
    const spec = await input.prepare(secretName);
    await s.createCertificate(
      input.resource,
      { certificateId: `cert-${input.resource}`, secretRef: { name: secretName }, ...spec },
      { seed: input.seed ?? true },
    );
  }
});

afterAll(async () => {
  await s.close();
});

describe('bad inputs', () => {
  it('has at least 15 distinct bad inputs', () => {
    expect(badInputs.length).toBeGreaterThanOrEqual(15);
    expect(new Set(badInputs.map((b) => b.reason)).size).toBeGreaterThanOrEqual(15);
  });

  it('syncs the good resource alongside them, Unicode APIG name included', async () => {
    const resource = await s.waitForReady('good');
    expect(resource.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('Synced');
    expect(s.simulator.certificate('cert-good')?.name).toBe('Zertifikat_für_Läden');
    expect(puts('cert-good')).toBe(1);
  });

  it.each(badInputs)(
    '$what: Ready=False ($reason), a Warning event, lastError and no successful PUT',
    async (input) => {
      const resource = await s.waitForReady(input.resource, 'False', input.reason);
      const { lastError } = resource.status ?? {};
      expect(lastError?.code).toBe(input.code ?? input.reason);
      expect(lastError?.message).toBeTruthy();
      expect(resource.status?.syncedHash).toBeUndefined();
      const event = await eventually(`a Warning ${input.reason} event`, async () =>
        (await s.events(input.resource)).find((e) => e.reason === input.reason),
      );
      expect(event.type).toBe('Warning');
      expect(event.involvedObject.kind).toBe(APIG_CERTIFICATE_KIND);
      expect(puts(`cert-${input.resource}`)).toBe(0);
      expect(putAttempts(`cert-${input.resource}`)).toBe(input.attempts ?? 0);
    },
  );

  it('keeps syncing the good resource: its rotation is sent once', async () => {
    const rotated = await leaf('good.example.com');
    await putSecret('good-tls', tls(rotated));
    const serial = BigInt(`0x${rotated.serialNumber}`).toString(10);
    await eventually('the rotated certificate in APIG', () =>
      Promise.resolve(s.simulator.certificate('cert-good')?.serialNumber === serial),
    );
    const resource = await s.waitForReady('good');
    expect(resource.status?.serialNumber).toBe(s.simulator.certificate('cert-good')?.serialNumber);
    expect(puts('cert-good')).toBe(2);
  });

  it('reports a synced Secret that turns bad, and sends nothing when it is restored', async () => {
    const current = await s.core.readNamespacedSecret({
      name: 'good-tls',
      namespace: s.namespace,
    });
    const data = current.data!;
    await putSecret('good-tls', { 'tls.crt': 'garbage', 'tls.key': 'garbage' });
    const broken = await s.waitForReady('good', 'False', 'CertificateNotPEM');
    expect(broken.status?.lastError?.code).toBe('CertificateNotPEM');
    // APIG still holds the last good certificate, and status still says which.
    expect(broken.status?.serialNumber).toBe(s.simulator.certificate('cert-good')?.serialNumber);

    await s.core.replaceNamespacedSecret({
      name: 'good-tls',
      namespace: s.namespace,
      body: { metadata: { name: 'good-tls' }, type: 'kubernetes.io/tls', data },
    });
    const restored = await s.waitForReady('good', 'True', 'Synced');
    expect(restored.status?.lastError).toBeUndefined();
    await sleep(1_000);
    expect(putAttempts('cert-good')).toBe(2);
  });

  it('never retries a bad input on its own', async () => {
    await sleep(1_000);
    for (const input of badInputs) {
      expect([input.resource, putAttempts(`cert-${input.resource}`)]).toEqual([
        input.resource,
        input.attempts ?? 0,
      ]);
    }
  });

  it('recovers a fixed Secret: Ready=True, lastError removed, exactly one PUT', async () => {
    await putSecret('mismatch-tls', tls(await leaf('shop.example.com')));
    const resource = await s.waitForReady('mismatch', 'True', 'Synced');
    expect(resource.status?.lastError).toBeUndefined();
    expect(resource.status?.serialNumber).toBe(
      s.simulator.certificate('cert-mismatch')?.serialNumber,
    );
    await sleep(1_000);
    expect(puts('cert-mismatch')).toBe(1);
    expect(putAttempts('cert-mismatch')).toBe(1);
    const synced = (await s.events('mismatch')).filter((e) => e.reason === 'Synced');
    expect(synced).toHaveLength(1);
  });

  it('recovers once a missing Secret is created', async () => {
    await putSecret('no-secret-tls', tls(good));
    await s.waitForReady('no-secret', 'True', 'Synced');
    await sleep(1_000);
    expect(putAttempts('cert-no-secret')).toBe(1);
  });

  it('sends a certificate that was not yet valid once it becomes valid, with no change', async () => {
    const validFrom = new Date(Math.ceil((Date.now() + 5_000) / 1000) * 1000);
    const cert = await leaf('soon.example.com', {
      notBefore: validFrom,
      notAfter: new Date(validFrom.getTime() + 30 * DAY_MS),
    });
    await putSecret('soon-tls', tls(cert));
    await s.createCertificate('soon', { certificateId: 'cert-soon' });
    await s.waitForReady('soon', 'False', 'CertificateNotYetValid');
    expect(putAttempts('cert-soon')).toBe(0);
    await s.waitForReady('soon', 'True', 'Synced', 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(validFrom.getTime());
    expect(putAttempts('cert-soon')).toBe(1);
  });

  it('never shows a private key or the token in logs, events or status', async () => {
    expect(await findLeaks({ scenario: s, operators: [operator], secrets: [s.token] })).toEqual([]);
  });
});
