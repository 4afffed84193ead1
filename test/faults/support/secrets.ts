// The TLS Secrets of the lifecycle fault cases, their keys known to the leak scan.
import type { Scenario } from '../../support/scenario.ts';
import type { LeakScan } from './leaks.ts';

/** Issues a certificate for `commonName` into the Secret `<name>-tls`; the leak scan looks for its key. */
export async function writeSecret(
  s: Scenario,
  leaks: LeakScan,
  name: string,
  commonName: string,
): Promise<void> {
  const issued = await s.issue(commonName);
  leaks.addPrivateKey(issued.keyPem);
  await s.writeTlsSecret(`${name}-tls`, issued);
}
