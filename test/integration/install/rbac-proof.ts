// What the least-privilege proofs (deploy/ and the Helm chart) share: the
// certificate that makes the operator use every permission, the Lease
// holder, the operator's own words when a wait fails, the first sync both
// expect, and the check that the recorded requests used exactly the
// permissions granted.
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
} from '../../../src/api/v1alpha1.ts';
import { createCA } from '../../support/certs.ts';
import { eventually } from '../../support/eventually.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';
import { Providers, clusterProvider, namespacedProvider } from '../../support/providers.ts';
import type { RecordedRequest } from './recording-proxy.ts';
import { LEASE_NAME, kubectlOk, permission, type grantedPermissions } from './support.ts';

/**
 * An instance certificate `mtls` whose trustedRootCA comes from a ConfigMap:
 * the one path on which the operator gets a ConfigMap. Returns the CA's PEM.
 */
export async function createTrustedRootCertificate(
  s: Scenario,
  instanceId: string,
): Promise<string> {
  const clientCa = await createCA({ commonName: 'Partner Client CA', key: { kind: 'EC' } });
  s.simulator.addInstance(instanceId);
  s.simulator.seedCertificate({ id: 'cert-mtls', name: 'mtls_cert', type: 'instance', instanceId });
  await s.core.createNamespacedConfigMap({
    namespace: s.namespace,
    body: { metadata: { name: 'partner-client-ca' }, data: { 'ca.crt': clientCa.certPem } },
  });
  await s.writeTlsSecret('mtls-tls', await s.issue('partner.example.com'));
  await s.objects.createNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace: s.namespace,
    body: {
      apiVersion: API_VERSION,
      kind: APIG_CERTIFICATE_KIND,
      metadata: { name: 'mtls' },
      spec: {
        certificateId: 'cert-mtls',
        name: 'mtls_cert',
        type: 'instance',
        instanceId,
        secretRef: { name: 'mtls-tls' },
        trustedRootCA: { configMapRef: { name: 'partner-client-ca', key: 'ca.crt' } },
        // Delete: the operator patches the resource to add its finalizer.
        deletionPolicy: 'Delete',
      },
    },
  });
  return clientCa.certPem;
}

/** The ApigProvider and ClusterApigProvider whose checks use the provider permissions. */
function proofProviders(s: Scenario) {
  return [namespacedProvider(s.namespace, 'proof'), clusterProvider(`proof-${s.namespace}`)];
}

/**
 * An ApigProvider and a ClusterApigProvider: the operator lists and watches
 * both kinds and writes both statuses (their Secret does not exist, so
 * nothing is sent to APIG). Delete them with deleteProofProviders.
 */
export async function createProofProviders(s: Scenario): Promise<void> {
  const providers = new Providers(s.objects, s.core);
  const spec = {
    endpoint: s.simulator.url,
    projectId: s.simulator.projectId,
    auth: { accessKey: { secretRef: { name: 'proof-keys' } } },
  };
  for (const id of proofProviders(s)) await providers.create(id, spec);
}

/** Both proof providers carry the operator's Ready condition (it could not sign in). */
export async function expectProvidersChecked(s: Scenario): Promise<void> {
  const providers = new Providers(s.objects, s.core);
  for (const id of proofProviders(s)) await providers.waitForReady(id, 'False');
}

export async function deleteProofProviders(s: Scenario): Promise<void> {
  const providers = new Providers(s.objects, s.core);
  await providers.delete(proofProviders(s)[1]!).catch(() => undefined);
}

/** Who holds the operator's Lease in a namespace ('' once released). */
export function leaseHolder(namespace: string): string {
  return kubectlOk([
    '-n',
    namespace,
    'get',
    'lease',
    LEASE_NAME,
    '-o',
    'jsonpath={.spec.holderIdentity}',
  ]).stdout;
}

/** `wait`, or its error with the operator's last output lines, which say why. */
export async function explained<T>(operator: () => OperatorProcess, wait: Promise<T>): Promise<T> {
  try {
    return await wait;
  } catch (error) {
    const output = operator().output().split('\n').slice(-30).join('\n');
    throw new Error(`${(error as Error).message}\noperator output:\n${output}`, {
      cause: error,
    });
  }
}

/**
 * The first sync of a proof: `shop` synced, `mtls` sent with the trusted root
 * CA read from its ConfigMap, and a Synced event written.
 */
export async function expectFirstSync(
  s: Scenario,
  operator: () => OperatorProcess,
  clientCaPem: string,
): Promise<void> {
  const shop = await explained(operator, s.waitForReady('shop'));
  expect(shop.status?.serialNumber).toBe(s.simulator.certificate('cert-shop')!.serialNumber);
  await explained(operator, s.waitForReady('mtls'));
  expect(s.simulator.certificate('cert-mtls')!.trustedRootCa?.trim()).toBe(clientCaPem.trim());
  await eventually('a Synced event', async () =>
    (await s.events('shop')).some((e) => e.reason === 'Synced'),
  );
}

/**
 * No request was refused, every permission granted was used (none is
 * spare), Role permissions only in the Role's namespace and on the names a
 * rule allows.
 */
export function expectExactlyGranted(
  requests: readonly RecordedRequest[],
  granted: ReturnType<typeof grantedPermissions>,
): void {
  const refused = requests.filter((r) => r.status === 401 || r.status === 403);
  expect(refused).toEqual([]);
  const used = new Set(requests.map((r) => permission(r.verb, r.group, r.resource)));
  expect([...used].sort()).toEqual([...granted.keys()].sort());
  for (const request of requests) {
    const grant = granted.get(permission(request.verb, request.group, request.resource))!;
    if (grant.kind === 'Role') expect(request.namespace).toBe(grant.namespace);
    if (grant.resourceNames) expect(grant.resourceNames).toContain(request.name);
  }
}
