// Secret-leak scan for operator integration tests: everything a user or a log
// pipeline can see (operator output, Events, ApigCertificate status) must not
// contain private key material or the APIG credentials the test used.
import { createHash } from 'node:crypto';
import { findSecrets, privateKeyLines } from '../../support/leaks.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';

export interface LeakScanInput {
  scenario: Scenario;
  operators: readonly OperatorProcess[];
  /** Namespaces besides the scenario's whose Secrets, Events and resources to include. */
  extraNamespaces?: readonly string[];
  /** Credentials (token, password, SK) and any private key PEM no longer in a Secret. */
  secrets?: readonly string[];
}

async function namespaceSurfaces(
  s: Scenario,
  namespace: string,
): Promise<{ keyLines: string[]; surfaces: Record<string, string> }> {
  const [secrets, events, resources] = await Promise.all([
    s.core.listNamespacedSecret({ namespace }),
    s.core.listNamespacedEvent({ namespace }),
    s.objects.listNamespacedCustomObject({
      ...APIG_CERTIFICATE_RESOURCE,
      namespace,
    }) as Promise<{ items: { metadata: { name: string }; status?: unknown }[] }>,
  ]);
  const keyLines = secrets.items.flatMap((secret) =>
    Object.values(secret.data ?? {}).flatMap((value) =>
      privateKeyLines(Buffer.from(value, 'base64').toString('latin1')),
    ),
  );
  const surfaces: Record<string, string> = {
    [`events in ${namespace}`]: JSON.stringify(events.items),
  };
  for (const resource of resources.items) {
    surfaces[`status of ${namespace}/${resource.metadata.name}`] = JSON.stringify(
      resource.status ?? {},
    );
  }
  return { keyLines, surfaces };
}

/**
 * Where private key material or a credential appears, as `surface: what`
 * lines (never the value itself): `expect(await findLeaks(...)).toEqual([])`.
 * Keys are taken from every Secret of the namespaces scanned, so a test need
 * not list them.
 */
export async function findLeaks(input: LeakScanInput): Promise<string[]> {
  const { scenario, operators } = input;
  const namespaces = [scenario.namespace, ...(input.extraNamespaces ?? [])];
  const scanned = await Promise.all(namespaces.map((ns) => namespaceSurfaces(scenario, ns)));
  const surfaces: Record<string, string> = Object.assign(
    {},
    ...scanned.map((n) => n.surfaces),
  ) as Record<string, string>;
  operators.forEach((operator, index) => {
    surfaces[`output of operator #${index + 1}`] = operator.output();
  });

  const keyLines = scanned.flatMap((n) => n.keyLines);
  const credentials = new Map<string, string>();
  for (const secret of input.secrets ?? []) {
    const lines = privateKeyLines(secret);
    if (lines.length > 0) keyLines.push(...lines);
    else credentials.set(secret, 'a credential');
  }
  return findSecrets({ surfaces: Object.entries(surfaces), keyLines, credentials });
}

const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;

/**
 * The ID tokens in `text` that IAM was given, known only by their SHA-256 as
 * the simulator logs exchanges (`idTokenSha256`): the operator requested them
 * itself, so the test never held them.
 */
export function exchangedIdTokensIn(
  text: string,
  exchanges: readonly { idTokenSha256?: string }[],
): string[] {
  const exchanged = new Set(exchanges.map((e) => e.idTokenSha256));
  return [...text.matchAll(JWT)]
    .map((m) => m[0])
    .filter((jwt) => exchanged.has(createHash('sha256').update(jwt).digest('hex')));
}
