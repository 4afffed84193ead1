// Real cert-manager (its own controllers, built from its Go module) issuing
// and renewing the Secret the operator syncs, against the real apiserver and
// the APIG simulator: the temporary certificate is never sent, and the first
// issuance and each renewal give exactly one PUT of that revision.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';
import {
  APIG_CERTIFICATE_RESOURCE,
  type ApigCertificateResource,
} from '../../../src/api/v1alpha1.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { testKubeConfig } from '../../support/kube.ts';
import {
  buildCertManager,
  installCertManagerCrds,
  startCertManager,
  type CertManagerProcess,
} from '../../support/cert-manager/controller.ts';

const CM = { group: 'cert-manager.io', version: 'v1' } as const;
const RENEWALS = 3;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}
interface CmCertificate {
  metadata: { name: string; generation?: number; resourceVersion?: string };
  status?: { conditions?: Condition[]; revision?: number };
}

let s: Scenario;
let cm: CertManagerProcess;
let objects: CustomObjectsApi;
let sampler: ReturnType<typeof startSampler> | undefined;

const decimalSerial = (pem: string): string =>
  BigInt(`0x${new X509Certificate(pem).serialNumber}`).toString(10);

const keyDer = (pem: string): string =>
  createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' }).toString('base64');

async function secretPems(name: string): Promise<{ crt: string; key: string } | undefined> {
  try {
    const secret = await s.core.readNamespacedSecret({ name, namespace: s.namespace });
    const crt = secret.data?.['tls.crt'];
    const key = secret.data?.['tls.key'];
    if (!crt || !key) return undefined;
    return {
      crt: Buffer.from(crt, 'base64').toString('utf8'),
      key: Buffer.from(key, 'base64').toString('utf8'),
    };
  } catch {
    return undefined;
  }
}

async function getCmCertificate(name: string): Promise<CmCertificate> {
  return (await objects.getNamespacedCustomObject({
    ...CM,
    plural: 'certificates',
    namespace: s.namespace,
    name,
  })) as CmCertificate;
}

/** Creates a namespaced cert-manager object (Certificate or Issuer) in the test namespace. */
async function createCm(
  kind: 'Certificate' | 'Issuer',
  metadata: { name: string; annotations?: Record<string, string> },
  spec: Record<string, unknown>,
): Promise<void> {
  await objects.createNamespacedCustomObject({
    ...CM,
    plural: `${kind.toLowerCase()}s`,
    namespace: s.namespace,
    body: { apiVersion: 'cert-manager.io/v1', kind, metadata, spec },
  });
}

const isReady = (c: { status?: { conditions?: Condition[] } }): boolean =>
  c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

/** What `cmctl renew` does: an Issuing=True condition, reason ManuallyTriggered, via the status subresource. */
async function renew(name: string): Promise<void> {
  const crt = await getCmCertificate(name);
  const conditions = (crt.status?.conditions ?? []).filter((c) => c.type !== 'Issuing');
  conditions.push({
    type: 'Issuing',
    status: 'True',
    reason: 'ManuallyTriggered',
    message: 'Certificate re-issuance manually triggered',
    lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    ...(crt.metadata.generation !== undefined
      ? { observedGeneration: crt.metadata.generation }
      : {}),
  });
  await objects.replaceNamespacedCustomObjectStatus({
    ...CM,
    plural: 'certificates',
    namespace: s.namespace,
    name,
    body: { ...crt, status: { ...crt.status, conditions } },
  });
}

/**
 * Watches the Secret and the ApigCertificate and keeps when each certificate
 * serial was first seen in each (the Secret's tls.crt, the status
 * serialNumber), so the time from a Secret change to the status that reports
 * it can be read afterwards. Both arrive over the same kind of watch, so the
 * difference is the operator's, not the test's polling.
 */
function startSampler(secretName: string) {
  const secretSeen = new Map<string, number>();
  const statusSeen = new Map<string, number>();
  const watchErrors: string[] = [];
  const watch = new Watch(testKubeConfig());
  const { group, version, plural } = APIG_CERTIFICATE_RESOURCE;
  const controllers = new Set<AbortController>();
  let stopped = false;
  // A watch on a just-created CRD can be refused (429 while the apiserver's
  // watch cache initialises) or end; start it again as an informer would. Its
  // first events replay the current object, so nothing is lost.
  const keepWatching = (
    path: string,
    query: Record<string, string>,
    seen: Map<string, number>,
    serialOf: (object: unknown) => string | undefined,
  ): void => {
    const restart = (error: unknown): void => {
      if (stopped) return;
      watchErrors.push(`${path}: ${error instanceof Error ? error.message : 'ended'}`);
      setTimeout(() => keepWatching(path, query, seen, serialOf), 100);
    };
    watch
      .watch(
        path,
        query,
        (_phase, object: unknown) => {
          const serial = serialOf(object);
          if (serial && !seen.has(serial)) seen.set(serial, Date.now());
        },
        restart,
      )
      .then((controller) => {
        if (stopped) controller.abort();
        else controllers.add(controller);
      }, restart);
  };
  keepWatching(
    `/api/v1/namespaces/${s.namespace}/secrets`,
    { fieldSelector: `metadata.name=${secretName}` },
    secretSeen,
    (object) => {
      const crt = (object as { data?: Record<string, string> }).data?.['tls.crt'];
      return crt ? decimalSerial(Buffer.from(crt, 'base64').toString('utf8')) : undefined;
    },
  );
  keepWatching(
    `/apis/${group}/${version}/namespaces/${s.namespace}/${plural}`,
    {},
    statusSeen,
    (object) => (object as ApigCertificateResource).status?.serialNumber,
  );
  return {
    secretSeen,
    statusSeen,
    watchErrors,
    stop() {
      stopped = true;
      for (const controller of controllers) controller.abort();
    },
  };
}

beforeAll(async () => {
  // Fast when cached; a cold build takes minutes, so this hook gets its own
  // timeout rather than skipping when the binary is missing.
  const build = buildCertManager();
  installCertManagerCrds(build);
  s = await createScenario('cert-manager');
  objects = testKubeConfig().makeApiClient(CustomObjectsApi);
  cm = await startCertManager(build);
  process.stderr.write(
    `[cert-manager] binary ready in ${build.ms} ms (${build.folder}); controller started in ${cm.startMs} ms\n`,
  );
  s.startOperator();
}, 30 * 60_000);

afterAll(async () => {
  sampler?.stop();
  const stopped = await cm?.stop();
  await s?.close();
  // Stopping by closing stdin is what a killed Jest does to it: it must exit cleanly.
  expect(stopped).toMatchObject({ code: 0 });
  process.stderr.write(
    `[cert-manager] controller exited ${stopped?.ms} ms after its stdin closed\n`,
  );
});

describe('with real cert-manager', () => {
  it('sends no temporary certificate, then one PUT per issued revision', async () => {
    const clusterIssuer = `selfsigned-${s.namespace}`;
    await objects.createClusterCustomObject({
      ...CM,
      plural: 'clusterissuers',
      body: {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: clusterIssuer },
        spec: { selfSigned: {} },
      },
    });
    await createCm(
      'Certificate',
      { name: 'test-ca' },
      {
        isCA: true,
        commonName: 'Test CA',
        secretName: 'test-ca-tls',
        privateKey: { algorithm: 'ECDSA', size: 256 },
        issuerRef: { name: clusterIssuer, kind: 'ClusterIssuer', group: 'cert-manager.io' },
      },
    );
    // The leaf Certificate and the ApigCertificate before the CA Issuer: until
    // the Issuer exists cert-manager can only write its temporary certificate.
    await createCm(
      'Certificate',
      {
        name: 'shop',
        annotations: { 'cert-manager.io/issue-temporary-certificate': 'true' },
      },
      {
        secretName: 'shop-tls',
        commonName: 'shop.example.com',
        dnsNames: ['shop.example.com'],
        privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
        issuerRef: { name: 'test-ca', kind: 'Issuer', group: 'cert-manager.io' },
      },
    );
    sampler = startSampler('shop-tls');
    await s.createCertificate('shop', { certificateId: 'cert-shop', name: 'shop_cert' });

    const temporary = await eventually(
      'cert-manager to write its temporary certificate into shop-tls',
      async () => {
        const pems = await secretPems('shop-tls');
        return pems && new X509Certificate(pems.crt).issuer.includes('cert-manager.local')
          ? pems
          : undefined;
      },
      60_000,
    );
    await s.waitForReady('shop', 'False', 'TemporaryCertificate', 30_000);
    expect(s.simulator.requests().filter((r) => r.method === 'PUT')).toEqual([]);

    await eventually('the CA Certificate to be Ready', async () =>
      isReady(await getCmCertificate('test-ca')),
    );
    await createCm('Issuer', { name: 'test-ca' }, { ca: { secretName: 'test-ca-tls' } });

    const seen: { crt: string; key: string; serial: string }[] = [];
    const timings: number[] = [];
    for (let revision = 1; revision <= 1 + RENEWALS; revision++) {
      if (revision > 1) await renew('shop');
      const previous = seen.at(-1) ?? { ...temporary, serial: decimalSerial(temporary.crt) };
      const issued = await eventually(
        `revision ${revision} of Certificate shop to be Ready with a new certificate in shop-tls`,
        async () => {
          const crt = await getCmCertificate('shop');
          const pems = await secretPems('shop-tls');
          return crt.status?.revision === revision &&
            isReady(crt) &&
            pems &&
            decimalSerial(pems.crt) !== previous.serial
            ? { ...pems, serial: decimalSerial(pems.crt) }
            : undefined;
        },
        60_000,
      );
      // rotationPolicy Always: every renewal has its own key (the temporary
      // certificate was made with the key of the first issuance).
      if (revision > 1) expect(keyDer(issued.key)).not.toBe(keyDer(previous.key));

      const resource = await eventually(
        `ApigCertificate shop to report revision ${revision}'s serial ${issued.serial}`,
        async () => {
          const r = await s.getCertificate('shop');
          return r.status?.serialNumber === issued.serial &&
            r.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? r
            : undefined;
        },
        30_000,
      );
      // Let any second (wrong) PUT for this revision arrive before counting.
      await sleep(1_500);
      expect(s.simulator.successfulPuts('cert-shop')).toHaveLength(revision);
      expect(s.simulator.requests().filter((r) => r.method === 'PUT')).toHaveLength(revision);
      const stored = s.simulator.certificate('cert-shop')!;
      expect(decimalSerial(stored.certContent!)).toBe(issued.serial);
      expect(keyDer(stored.privateKey!)).toBe(keyDer(issued.key));
      expect(stored.serialNumber).toBe(issued.serial);
      expect(resource.status?.serialNumber).toBe(issued.serial);

      const watched = sampler;
      const [secretAt, statusAt] = await eventually(
        `the watches to deliver serial ${issued.serial} (watch restarts: ${watched.watchErrors.join('; ') || 'none'})`,
        () => {
          const both = [
            watched.secretSeen.get(issued.serial),
            watched.statusSeen.get(issued.serial),
          ];
          return Promise.resolve(
            both.every((t) => t !== undefined) ? (both as [number, number]) : undefined,
          );
        },
        5_000,
      ).catch((error: unknown) => {
        throw new Error(
          `${String(error)}; Secret serials seen: ${[...watched.secretSeen.keys()].join(', ')}; status serials seen: ${[...watched.statusSeen.keys()].join(', ')}`,
        );
      });
      timings.push(statusAt - secretAt);
      seen.push(issued);
    }
    sampler.stop();

    // The temporary certificate's serial never reached APIG or the status.
    expect(sampler.statusSeen.has(decimalSerial(temporary.crt))).toBe(false);
    expect(new Set(seen.map((x) => x.serial)).size).toBe(1 + RENEWALS);
    process.stderr.write(
      `[cert-manager] Secret change -> ApigCertificate status (watch events): ${timings
        .map((ms, i) => `${i === 0 ? 'issuance' : `renewal ${i}`}: ${ms} ms`)
        .join(', ')}; watch restarts: ${sampler.watchErrors.join('; ') || 'none'}\n`,
    );
  });
});
