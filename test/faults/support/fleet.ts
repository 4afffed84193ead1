// A set of ApigCertificates in one scenario, each with its own TLS Secret and
// APIG certificate, and the one check every fault case ends with: every
// resource Ready, and APIG holding exactly what its Secret holds now.
import { issueCertificate } from '../../support/certs.ts';
import { sleep, type Scenario } from '../../support/scenario.ts';
import type { LeakScan } from './leaks.ts';

export interface Member {
  name: string;
  certificateId: string;
  secretName: string;
}

export class Fleet {
  readonly members: Member[];
  readonly #scenario: Scenario;
  readonly #leaks: LeakScan;

  private constructor(scenario: Scenario, leaks: LeakScan, members: Member[]) {
    this.#scenario = scenario;
    this.#leaks = leaks;
    this.members = members;
  }

  /** Creates `count` Secrets and ApigCertificates named `<prefix>-<i>` (and their APIG certificates). */
  static async create(
    scenario: Scenario,
    leaks: LeakScan,
    prefix: string,
    count: number,
  ): Promise<Fleet> {
    const members = Array.from({ length: count }, (_, i) => ({
      name: `${prefix}-${i}`,
      certificateId: `${prefix}-cert-${i}`,
      secretName: `${prefix}-${i}-tls`,
    }));
    const fleet = new Fleet(scenario, leaks, members);
    await fleet.rotate();
    for (const m of members) {
      await scenario.createCertificate(m.name, {
        certificateId: m.certificateId,
        name: 'shop_cert',
        secretRef: { name: m.secretName },
      });
    }
    return fleet;
  }

  member(name: string): Member {
    const found = this.members.find((m) => m.name === name);
    if (!found) throw new Error(`no member ${name}`);
    return found;
  }

  /**
   * Writes a freshly issued certificate with a new key to the Secrets of
   * `names` (default: all), as cert-manager does on renewal.
   */
  async rotate(names: readonly string[] = this.members.map((m) => m.name)): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const member = this.member(name);
        const cert = await issueCertificate({
          commonName: `${name}.example.com`,
          key: { kind: 'EC' },
        });
        this.#leaks.addPrivateKey(cert.keyPem);
        await this.#scenario.writeTlsSecret(member.secretName, cert);
      }),
    );
  }

  /** Why `member` is not converged yet, or undefined when it is. */
  async #mismatch(member: Member): Promise<string | undefined> {
    const s = this.#scenario;
    const resource = await s.getCertificate(member.name);
    const ready = resource.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True') {
      return `${member.name}: Ready=${ready?.status ?? 'absent'} (${ready?.reason ?? ''})`;
    }
    if (resource.status?.observedGeneration !== resource.metadata.generation) {
      return `${member.name}: generation ${resource.metadata.generation} not observed yet`;
    }
    const secret = await s.core.readNamespacedSecret({
      name: member.secretName,
      namespace: s.namespace,
    });
    const decode = (key: string): string =>
      Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
    const stored = s.simulator.certificate(member.certificateId);
    if (!stored) return `${member.name}: APIG certificate ${member.certificateId} is gone`;
    if (pemBody(stored.certContent) !== pemBody(decode('tls.crt'))) {
      return `${member.name}: APIG holds a certificate other than the Secret's`;
    }
    if (pemBody(stored.privateKey) !== pemBody(decode('tls.key'))) {
      return `${member.name}: APIG holds a private key other than the Secret's`;
    }
    if (resource.status?.serialNumber !== stored.serialNumber) {
      return `${member.name}: status serial ${resource.status?.serialNumber} is not APIG's ${stored.serialNumber}`;
    }
    if (!resource.status?.syncedHash?.startsWith('sha256:')) {
      return `${member.name}: status has no syncedHash`;
    }
    return undefined;
  }

  /** Why each member is not converged (empty when all are). */
  async mismatches(): Promise<string[]> {
    const found = await Promise.all(this.members.map((m) => this.#mismatch(m)));
    return found.filter((m): m is string => m !== undefined);
  }

  /**
   * Waits until every member is Ready and APIG holds exactly its Secret's
   * certificate and key; fails with what is still wrong.
   */
  async waitConverged(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let wrong: string[];
      try {
        wrong = await this.mismatches();
      } catch (error) {
        wrong = [`API error: ${(error as Error).message}`];
      }
      if (wrong.length === 0) return;
      if (Date.now() > deadline) {
        const more = wrong.length > 10 ? `\n  … and ${wrong.length - 10} more` : '';
        throw new Error(
          `not converged within ${timeoutMs} ms:\n  ${wrong.slice(0, 10).join('\n  ')}${more}`,
        );
      }
      await sleep(200);
    }
  }
}

/** PEM text without line breaks or spaces, to compare what was sent with what is stored. */
function pemBody(pem: string | undefined): string {
  return (pem ?? '').replace(/\s+/g, '');
}
