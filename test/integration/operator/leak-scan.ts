// Secret-leak scan for operator integration tests: everything a user or a log
// pipeline can see (operator output, Events, ApigCertificate status) must not
// contain private key material or the APIG credentials the test used.
import type { OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';

const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
/** Shorter base64 lines (a block's tail) could match by chance; 40+ characters cannot. */
const MIN_KEY_LINE = 40;

export interface LeakScanInput {
  scenario: Scenario;
  operators: readonly OperatorProcess[];
  /** Namespaces besides the scenario's whose Secrets, Events and resources to include. */
  extraNamespaces?: readonly string[];
  /** Credentials (token, password, SK) and any private key PEM no longer in a Secret. */
  secrets?: readonly string[];
}

/** The base64 body lines of every private key PEM block in `text`. */
export function privateKeyLines(text: string): string[] {
  const lines: string[] = [];
  for (const [, , body] of text.matchAll(PRIVATE_KEY_BLOCK)) {
    for (const line of body!.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed.length >= MIN_KEY_LINE && !trimmed.includes(':')) lines.push(trimmed);
    }
  }
  return lines;
}

async function namespaceSurfaces(
  s: Scenario,
  namespace: string,
): Promise<{ keyLines: string[]; surfaces: Record<string, string> }> {
  const [secrets, events, resources] = await Promise.all([
    s.core.listNamespacedSecret({ namespace }),
    s.core.listNamespacedEvent({ namespace }),
    s.objects.listNamespacedCustomObject({
      group: 'apig.certsync.io',
      version: 'v1alpha1',
      namespace,
      plural: 'apigcertificates',
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

  const needles = new Map<string, string>();
  for (const line of scanned.flatMap((n) => n.keyLines)) needles.set(line, 'a private key line');
  for (const secret of input.secrets ?? []) {
    const keyLines = privateKeyLines(secret);
    if (keyLines.length > 0) {
      for (const line of keyLines) needles.set(line, 'a private key line');
    } else if (secret !== '') {
      needles.set(secret, 'a credential');
    }
  }

  if (![...needles.values()].includes('a private key line')) {
    throw new Error(
      'leak scan: no private key to look for; a scan that looks for nothing proves nothing',
    );
  }
  const findings: string[] = [];
  for (const [surface, text] of Object.entries(surfaces)) {
    if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) {
      findings.push(`${surface}: a private key PEM header`);
    }
    const found = new Set<string>();
    for (const [needle, what] of needles) if (text.includes(needle)) found.add(what);
    for (const what of found) findings.push(`${surface}: ${what}`);
  }
  return findings;
}
