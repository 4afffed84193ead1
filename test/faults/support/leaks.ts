// Leak scan of a fault-suite file: everything a user, a log pipeline or a
// Prometheus server saw while the faults ran (every operator's output, the
// /metrics pages scraped, the Events and ApigCertificate status of every
// namespace used) must contain no private key, SK, password or token. Keys
// are recorded as they are written, so rotated-away keys are looked for too.
import type { OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';

const PRIVATE_KEY_HEADER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PRIVATE_KEY_BLOCK = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----([\s\S]*?)-----END \1-----/g;
/** Shorter base64 lines (a block's tail) could match by chance; 40+ characters cannot. */
const MIN_KEY_LINE = 40;

export class LeakScan {
  readonly #keyLines = new Set<string>();
  readonly #credentials = new Map<string, string>();
  readonly #operators: OperatorProcess[] = [];
  readonly #scenarios: Scenario[] = [];
  readonly #metrics: { label: string; text: string }[] = [];

  addPrivateKey(pem: string): void {
    for (const [, , body] of pem.matchAll(PRIVATE_KEY_BLOCK)) {
      for (const line of body!.split(/\r?\n/)) {
        if (line.trim().length >= MIN_KEY_LINE) this.#keyLines.add(line.trim());
      }
    }
  }

  /** A token, password or SK; `what` names it in findings (never the value). */
  addCredential(what: string, value: string): void {
    if (value !== '') this.#credentials.set(value, what);
  }

  addOperator(operator: OperatorProcess): OperatorProcess {
    this.#operators.push(operator);
    return operator;
  }

  addScenario(scenario: Scenario): void {
    this.#scenarios.push(scenario);
  }

  /** Keeps one scrape of /metrics (the process may not be there at scan time). */
  async scrapeMetrics(label: string, operator: OperatorProcess): Promise<string> {
    const text = await operator.metrics();
    this.#metrics.push({ label, text });
    return text;
  }

  get counts(): { keyLines: number; credentials: number; surfaces: number } {
    return {
      keyLines: this.#keyLines.size,
      credentials: this.#credentials.size,
      surfaces: this.#operators.length + this.#metrics.length + this.#scenarios.length * 2,
    };
  }

  /** Where a secret appears, as `surface: what` lines (never the value). */
  async findings(): Promise<string[]> {
    if (this.#keyLines.size === 0) {
      throw new Error(
        'leak scan: no private key recorded; a scan that looks for nothing proves nothing',
      );
    }
    const surfaces: [string, string][] = [];
    this.#operators.forEach((operator, i) =>
      surfaces.push([`output of operator #${i + 1}`, operator.output()]),
    );
    for (const { label, text } of this.#metrics) surfaces.push([`/metrics ${label}`, text]);
    for (const s of this.#scenarios) {
      const [events, resources] = await Promise.all([
        s.core.listNamespacedEvent({ namespace: s.namespace }),
        s.objects.listNamespacedCustomObject({
          group: 'apig.certsync.io',
          version: 'v1alpha1',
          namespace: s.namespace,
          plural: 'apigcertificates',
        }) as Promise<{ items: { status?: unknown }[] }>,
      ]);
      surfaces.push([`Events in ${s.namespace}`, JSON.stringify(events.items)]);
      surfaces.push([
        `ApigCertificate status in ${s.namespace}`,
        JSON.stringify(resources.items.map((r) => r.status ?? {})),
      ]);
    }

    const findings: string[] = [];
    for (const [surface, text] of surfaces) {
      if (PRIVATE_KEY_HEADER.test(text)) findings.push(`${surface}: a private key PEM header`);
      if ([...this.#keyLines].some((line) => text.includes(line))) {
        findings.push(`${surface}: a private key line`);
      }
      for (const [value, what] of this.#credentials) {
        if (text.includes(value)) findings.push(`${surface}: ${what}`);
      }
    }
    return findings;
  }
}
