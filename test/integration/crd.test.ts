// The API server itself refuses every invalid ApigCertificate spec, with a
// message that names the field (validation lives in the CRD schema and its CEL rules).
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { createTestNamespace, installCrds, kubectl, testKubeConfig } from '../support/kube.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
} from '../../src/api/v1alpha1.ts';

const objects = testKubeConfig().makeApiClient(CustomObjectsApi);
let namespace: string;
let counter = 0;

beforeAll(async () => {
  installCrds();
  namespace = await createTestNamespace('crd');
});

const validSpec = {
  certificateId: 'a1b2c3d4-cert',
  name: 'shop_cert',
  secretRef: { name: 'shop-tls' },
};

async function create(spec: Record<string, unknown>): Promise<Record<string, unknown>> {
  counter += 1;
  return (await objects.createNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace,
    body: {
      apiVersion: API_VERSION,
      kind: APIG_CERTIFICATE_KIND,
      metadata: { name: `cert-${counter}` },
      spec,
    },
  })) as Record<string, unknown>;
}

async function refusal(action: Promise<unknown>): Promise<string> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiException);
  expect((error as ApiException<string>).code).toBe(422);
  return String((error as ApiException<string>).body);
}

function without(key: keyof typeof validSpec): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...validSpec };
  delete spec[key];
  return spec;
}

describe('ApigCertificate CRD validation', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a domain declared twice',
      { ...validSpec, domains: [{ name: 'api.example.com' }, { name: 'api.example.com' }] },
      'spec.domains[1]: Duplicate value',
    ],
    [
      'an uppercase domain',
      { ...validSpec, domains: [{ name: 'API.example.com' }] },
      'spec.domains[0].name',
    ],
    ['a bare TLD domain', { ...validSpec, domains: [{ name: 'com' }] }, 'spec.domains[0].name'],
    [
      'client verification without a trusted root CA',
      {
        ...validSpec,
        domains: [{ name: 'api.example.com', verifiedClientCertificateEnabled: true }],
      },
      'verifiedClientCertificateEnabled needs trustedRootCA',
    ],
    [
      'an unknown deletionPolicy',
      { ...validSpec, deletionPolicy: 'Orphan' },
      'spec.deletionPolicy',
    ],
    ['missing name', without('name'), 'spec.name: Required value'],
    ['missing secretRef', without('secretRef'), 'spec.secretRef: Required value'],
    ['empty certificateId', { ...validSpec, certificateId: '' }, 'spec.certificateId'],
    ['certificateId with _', { ...validSpec, certificateId: 'bad_id' }, 'spec.certificateId'],
    [
      'certificateId of 65 chars',
      { ...validSpec, certificateId: 'a'.repeat(65) },
      'spec.certificateId',
    ],
    ['name of 3 chars', { ...validSpec, name: 'abc' }, 'spec.name'],
    ['name of 51 chars', { ...validSpec, name: 'a'.repeat(51) }, 'spec.name'],
    ['name starting with a digit', { ...validSpec, name: '1cert' }, 'spec.name'],
    ['name with a dash', { ...validSpec, name: 'my-cert' }, 'spec.name'],
    [
      'secretRef name not a DNS subdomain',
      { ...validSpec, secretRef: { name: 'Bad_Name' } },
      'spec.secretRef.name',
    ],
    ['unknown type', { ...validSpec, type: 'regional' }, 'spec.type'],
    ['instance without instanceId', { ...validSpec, type: 'instance' }, 'spec.instanceId'],
    [
      'instanceId with a global certificate',
      { ...validSpec, instanceId: 'inst-1' },
      'spec.instanceId',
    ],
    ['unknown algorithmType', { ...validSpec, algorithmType: 'DSA' }, 'spec.algorithmType'],
    ['SM2 without signSecretRef', { ...validSpec, algorithmType: 'SM2' }, 'spec.signSecretRef'],
    [
      'trustedRootCA with both references',
      {
        ...validSpec,
        trustedRootCA: {
          secretRef: { name: 'ca', key: 'ca.crt' },
          configMapRef: { name: 'ca', key: 'ca.crt' },
        },
      },
      'spec.trustedRootCA',
    ],
    [
      'trustedRootCA with neither reference',
      { ...validSpec, trustedRootCA: {} },
      'spec.trustedRootCA',
    ],
    [
      'trustedRootCA secretRef without key',
      { ...validSpec, trustedRootCA: { secretRef: { name: 'ca' } } },
      'spec.trustedRootCA.secretRef.key',
    ],
    ['projectId with /', { ...validSpec, projectId: 'a/b' }, 'spec.projectId'],
    ['suspend as a string', { ...validSpec, suspend: 'yes' }, 'spec.suspend'],
  ])('refuses %s', async (_case, spec, field) => {
    expect(await refusal(create(spec))).toContain(field);
  });

  it.each<[string, Record<string, unknown>]>([
    ['the minimal spec', validSpec],
    ['no certificateId (adopt or create by name)', without('certificateId')],
    [
      'domains, one a wildcard, one on named instances',
      {
        ...validSpec,
        deletionPolicy: 'Delete',
        domains: [
          { name: '*.example.com' },
          { name: 'api.example.com', instanceIds: ['eddc4d25480b4cd6b512f270a1b8b341'] },
        ],
      },
    ],
    ['a Unicode name', { ...validSpec, name: '证书_shop1' }],
    [
      'an instance certificate',
      { ...validSpec, type: 'instance', instanceId: 'eddc4d25480b4cd6b512f270a1b8b341' },
    ],
    [
      'SM2 with its signing pair',
      { ...validSpec, algorithmType: 'SM2', signSecretRef: { name: 'sm2-sign' } },
    ],
    [
      'a trusted root CA from a ConfigMap',
      { ...validSpec, trustedRootCA: { configMapRef: { name: 'ca', key: 'ca.crt' } } },
    ],
  ])('accepts %s', async (_case, spec) => {
    await expect(create(spec)).resolves.toBeDefined();
  });

  it('defaults type to global and deletionPolicy to Retain', async () => {
    const created = await create(validSpec);
    expect(created.spec).toMatchObject({ type: 'global', deletionPolicy: 'Retain' });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>, string]>([
    ['type', validSpec, { type: 'instance', instanceId: 'inst-1' }, 'type is immutable'],
    [
      'instanceId',
      { ...validSpec, type: 'instance', instanceId: 'inst-1' },
      { instanceId: 'inst-2' },
      'instanceId is immutable',
    ],
  ])('keeps %s immutable', async (_field, spec, change, message) => {
    const created = await create(spec);
    const name = (created.metadata as { name: string }).name;
    const update = objects.patchNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace,
      name,
      body: [{ op: 'add', path: '/spec', value: { ...(created.spec as object), ...change } }],
    });
    expect(await refusal(update)).toContain(message);
  });

  it('shows Ready, Certificate ID, APIG ID, Not After, Serial and Age in kubectl get', async () => {
    await create({ ...validSpec, certificateId: 'printer-columns' });
    const adopted = await create(without('certificateId'));
    const name = (adopted.metadata as { name: string }).name;
    await objects.patchNamespacedCustomObjectStatus({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace,
      name,
      body: [{ op: 'add', path: '/status', value: { certificateId: 'found-by-name' } }],
    });
    const table = kubectl('get', 'apigcert', '-n', namespace);
    expect(table.split('\n')[0]).toMatch(
      /^NAME\s+READY\s+CERTIFICATE ID\s+APIG ID\s+NOT AFTER\s+SERIAL\s+AGE$/,
    );
    expect(table).toContain('printer-columns');
    expect(table).toMatch(new RegExp(`^${name}\\s+.*found-by-name`, 'm'));
  });
});
