// ApigCertificates without spec.certificateId (the operator creates or adopts
// them by name; create them with Scenario.createCertificate): their deletion,
// and what APIG holds by name.
import { APIG_CERTIFICATE_RESOURCE } from '../../src/api/v1alpha1.ts';
import { eventually } from './eventually.ts';
import type { Scenario } from './scenario.ts';

export async function deleteResource(s: Scenario, name: string): Promise<void> {
  await s.objects.deleteNamespacedCustomObject({
    ...APIG_CERTIFICATE_RESOURCE,
    namespace: s.namespace,
    name,
  });
}

/** Waits until the API server no longer has the resource (its finalizers done). */
export async function waitDeleted(s: Scenario, name: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    `${name} to be deleted`,
    () =>
      s.getCertificate(name).then(
        () => false,
        () => true,
      ),
    timeoutMs,
  );
}

/** The global certificates APIG holds with exactly this name, listed as a user would (not through the tap). */
export async function certificatesNamed(
  s: Scenario,
  name: string,
): Promise<{ id: string; name: string }[]> {
  const response = await fetch(
    `${s.simulator.url}/v2/${s.simulator.projectId}/apigw/certificates?name=${encodeURIComponent(name)}`,
    { headers: { 'X-Auth-Token': s.token } },
  );
  if (response.status !== 200) throw new Error(`listing ${name}: HTTP ${response.status}`);
  const { certs } = (await response.json()) as { certs: { id: string; name: string }[] };
  return certs.filter((c) => c.name === name);
}

/** POSTs that create a certificate, as they went by the tap or the simulator's log. */
export const isCreate = (e: { method: string; path: string }): boolean =>
  e.method === 'POST' && /\/certificates$/.test(e.path);
