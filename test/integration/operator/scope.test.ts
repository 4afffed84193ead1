// What the operator touches and what it sends: suspend, WATCH_NAMESPACES,
// trustedRootCA from a Secret or a ConfigMap on instance certificates, and the
// project a certificate lives in.
import { DEFAULT_PROJECT_ID, type RequestLogEntry } from '../../support/apig-simulator/index.ts';
import {
  createCA,
  issueCertificate,
  sharedKeyPair,
  tlsSecretData,
  type IssuedCertificate,
} from '../../support/certs.ts';
import { createTestNamespace } from '../../support/kube.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import { eventually } from '../../support/eventually.ts';
import { createScenario, sleep, type Scenario } from '../../support/scenario.ts';
import { findLeaks } from './leak-scan.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';

const SECOND_PROJECT = '7f3c1b2a9e8d4c6b5a4f3e2d1c0b9a8f';
const INSTANCE = 'eddc4d25480b4cd6b512f270a1b8b341';

let s: Scenario;
let operator: OperatorProcess;
let listed: string;
let unlisted: string;

const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10);
const putsFor = (id: string): RequestLogEntry[] =>
  s.simulator.requests().filter((r) => r.method === 'PUT' && r.certificateId === id);
const reconciledLines = (name: string, namespace = s.namespace) =>
  operator.logs.filter((l) => l.msg === 'reconciled' && l.resource === `${namespace}/${name}`)
    .length;

async function certificate(): Promise<IssuedCertificate> {
  return issueCertificate({
    commonName: 'shop.example.com',
    key: { kind: 'EC' },
    keyPair: await sharedKeyPair({ kind: 'EC' }),
  });
}

async function setSuspend(name: string, suspend: boolean): Promise<void> {
  await s.objects.patchNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace: s.namespace,
    name,
    body: [{ op: 'add', path: '/spec/suspend', value: suspend }],
  });
}

/** A TLS Secret and an ApigCertificate in another namespace (and its APIG certificate). */
async function createElsewhere(namespace: string, name: string, certificateId: string) {
  const cert = await certificate();
  await s.core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: `${name}-tls` },
      type: 'kubernetes.io/tls',
      data: tlsSecretData(cert),
    },
  });
  await s.createCertificate(name, { certificateId }, { namespace });
}

async function getElsewhere(namespace: string, name: string) {
  return (await s.objects.getNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace,
    name,
  })) as {
    status?: { conditions?: { type: string; status: string }[] };
  };
}

async function writeConfigMap(
  name: string,
  data: Record<string, string>,
  annotations?: Record<string, string>,
): Promise<void> {
  const body = { metadata: { name, annotations }, data };
  try {
    await s.core.replaceNamespacedConfigMap({ name, namespace: s.namespace, body });
  } catch {
    await s.core.createNamespacedConfigMap({ namespace: s.namespace, body });
  }
}

beforeAll(async () => {
  s = await createScenario('scope', { projects: [DEFAULT_PROJECT_ID, SECOND_PROJECT] });
  listed = await createTestNamespace('scope-listed');
  unlisted = await createTestNamespace('scope-unlisted');
  operator = s.startOperator({ WATCH_NAMESPACES: `${s.namespace},${listed}` });
});

afterAll(async () => {
  await s.close();
});

describe('suspend', () => {
  it('sends nothing while suspended and reports Suspended', async () => {
    await s.writeTlsSecret('paused-tls', await certificate());
    await s.createCertificate('paused', { certificateId: 'cert-paused', suspend: true });
    const resource = await s.waitForReady('paused', 'False', 'Suspended');
    expect(resource.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(
      /has not been sent/,
    );
    await sleep(1_000);
    expect(putsFor('cert-paused')).toHaveLength(0);
  });

  it('syncs once un-suspended', async () => {
    await setSuspend('paused', false);
    await s.waitForReady('paused', 'True', 'Synced');
    await sleep(500);
    expect(putsFor('cert-paused').map((r) => r.status)).toEqual([200]);
  });

  it('holds a rotation while suspended, and sends it once when resumed', async () => {
    await setSuspend('paused', true);
    const inSync = await s.waitForReady('paused', 'True', 'Suspended');
    const serial = inSync.status?.serialNumber;
    const rotated = await certificate();
    await s.writeTlsSecret('paused-tls', rotated);
    await s.waitForReady('paused', 'False', 'Suspended');
    await sleep(1_000);
    expect(putsFor('cert-paused')).toHaveLength(1);
    expect(s.simulator.certificate('cert-paused')?.serialNumber).toBe(serial);

    await setSuspend('paused', false);
    const resumed = await s.waitForReady('paused', 'True', 'Synced');
    expect(resumed.status?.serialNumber).toBe(decimal(rotated.serialNumber));
    await sleep(500);
    expect(putsFor('cert-paused')).toHaveLength(2);
  });
});

describe('WATCH_NAMESPACES', () => {
  it('syncs in every listed namespace and never touches an unlisted one', async () => {
    await createElsewhere(unlisted, 'outside', 'cert-outside');
    await createElsewhere(listed, 'inside', 'cert-inside');
    await eventually('the listed resource to be Ready', async () => {
      const ready = (await getElsewhere(listed, 'inside')).status?.conditions?.find(
        (c) => c.type === 'Ready',
      );
      return ready?.status === 'True';
    });
    await sleep(1_000);
    expect(putsFor('cert-inside')).toHaveLength(1);
    expect(putsFor('cert-outside')).toHaveLength(0);
    expect((await getElsewhere(unlisted, 'outside')).status).toBeUndefined();
    expect((await s.core.listNamespacedEvent({ namespace: unlisted })).items).toEqual([]);
    expect(reconciledLines('outside', unlisted)).toBe(0);
  });
});

describe('trustedRootCA on instance certificates', () => {
  let caA: string;
  let caB: string;

  beforeAll(async () => {
    caA = (await createCA({ commonName: 'Client CA A', key: { kind: 'EC' } })).certPem;
    caB = (await createCA({ commonName: 'Client CA B', key: { kind: 'EC' } })).certPem;
  });

  const instanceSpec = { type: 'instance' as const, instanceId: INSTANCE };
  const pem = (text: string | undefined) => text?.replace(/\r\n/g, '\n').trim();

  it('sends a ConfigMap CA as trusted_root_ca', async () => {
    await writeConfigMap('client-ca', { 'ca.crt': caA });
    await s.writeTlsSecret('mtls-cm-tls', await certificate());
    await s.createCertificate('mtls-cm', {
      certificateId: 'cert-mtls-cm',
      ...instanceSpec,
      trustedRootCA: { configMapRef: { name: 'client-ca', key: 'ca.crt' } },
    });
    await s.waitForReady('mtls-cm');
    const stored = s.simulator.certificate('cert-mtls-cm');
    expect(stored).toMatchObject({ type: 'instance', instanceId: INSTANCE });
    expect(pem(stored?.trustedRootCa)).toBe(pem(caA));
    expect(putsFor('cert-mtls-cm')).toHaveLength(1);
  });

  it('sends the CA again, once, when the ConfigMap changes; not for metadata', async () => {
    await writeConfigMap('client-ca', { 'ca.crt': caB });
    await eventually('APIG to hold CA B', () =>
      Promise.resolve(pem(s.simulator.certificate('cert-mtls-cm')?.trustedRootCa) === pem(caB)),
    );
    await s.waitForReady('mtls-cm');
    await sleep(1_000);
    expect(putsFor('cert-mtls-cm')).toHaveLength(2);

    const before = reconciledLines('mtls-cm');
    await writeConfigMap('client-ca', { 'ca.crt': caB }, { 'example.com/touched': 'yes' });
    await eventually('a reconcile after the ConfigMap annotation', () =>
      Promise.resolve(reconciledLines('mtls-cm') > before),
    );
    await sleep(500);
    expect(putsFor('cert-mtls-cm')).toHaveLength(2);
  });

  it('sends a Secret CA as trusted_root_ca', async () => {
    await s.core.createNamespacedSecret({
      namespace: s.namespace,
      body: {
        metadata: { name: 'client-ca-secret' },
        type: 'Opaque',
        data: { 'ca.crt': Buffer.from(caA).toString('base64') },
      },
    });
    await s.writeTlsSecret('mtls-secret-tls', await certificate());
    await s.createCertificate('mtls-secret', {
      certificateId: 'cert-mtls-secret',
      ...instanceSpec,
      trustedRootCA: { secretRef: { name: 'client-ca-secret', key: 'ca.crt' } },
    });
    await s.waitForReady('mtls-secret');
    expect(pem(s.simulator.certificate('cert-mtls-secret')?.trustedRootCa)).toBe(pem(caA));
    expect(putsFor('cert-mtls-secret')).toHaveLength(1);
  });
});

describe('projects', () => {
  it('uses spec.projectId over the default project', async () => {
    await s.writeTlsSecret('elsewhere-tls', await certificate());
    await s.createCertificate('elsewhere', {
      certificateId: 'cert-elsewhere',
      projectId: SECOND_PROJECT,
    });
    await s.waitForReady('elsewhere');
    expect(s.simulator.certificate('cert-elsewhere')?.projectId).toBe(SECOND_PROJECT);
    expect(putsFor('cert-elsewhere').map((r) => [r.projectId, r.status])).toEqual([
      [SECOND_PROJECT, 200],
    ]);
    // The others went to the operator's default project.
    expect(putsFor('cert-paused').map((r) => r.projectId)).toEqual([
      s.simulator.projectId,
      s.simulator.projectId,
    ]);
    expect(s.simulator.projectId).not.toBe(SECOND_PROJECT);
  });
});

describe('references', () => {
  it('follows spec.secretRef to another Secret: sends it, then its rotation, once each', async () => {
    await s.writeTlsSecret('moving-a-tls', await certificate());
    await s.createCertificate('moving', {
      certificateId: 'cert-moving',
      secretRef: { name: 'moving-a-tls' },
    });
    await s.waitForReady('moving');
    const next = await certificate();
    await s.writeTlsSecret('moving-b-tls', next);
    await s.objects.patchNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace: s.namespace,
      name: 'moving',
      body: [{ op: 'replace', path: '/spec/secretRef/name', value: 'moving-b-tls' }],
    });
    const moved = await eventually('the second Secret in APIG', async () => {
      const r = await s.getCertificate('moving');
      return r.status?.serialNumber === decimal(next.serialNumber) ? r : undefined;
    });
    expect(moved.status?.observedGeneration).toBe(2);

    const rotated = await certificate();
    await s.writeTlsSecret('moving-b-tls', rotated);
    await eventually('the rotation of the second Secret in APIG', () =>
      Promise.resolve(
        s.simulator.certificate('cert-moving')?.serialNumber === decimal(rotated.serialNumber),
      ),
    );
    // The first Secret is no longer read: changing it sends nothing.
    await s.writeTlsSecret('moving-a-tls', await certificate());
    await sleep(1_000);
    expect(putsFor('cert-moving')).toHaveLength(3);
    expect(s.simulator.certificate('cert-moving')?.serialNumber).toBe(
      decimal(rotated.serialNumber),
    );
  });
});

describe('secrets', () => {
  it('never shows a private key or the token in logs, events or status', async () => {
    expect(
      await findLeaks({
        scenario: s,
        operators: [operator],
        extraNamespaces: [listed, unlisted],
        secrets: [s.token],
      }),
    ).toEqual([]);
  });
});
