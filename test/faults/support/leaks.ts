// Leak scan of a fault-suite file: everything a user, a log pipeline or a
// Prometheus server saw while the faults ran (every operator's output, the
// /metrics pages scraped, the Events and ApigCertificate status of every
// namespace used) must contain no private key, SK, password or token. Keys
// are recorded as they are written, so rotated-away keys are looked for too.
import { findSecrets, privateKeyLines } from '../../support/leaks.ts';
import type { OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';
import { APIG_CERTIFICATE_RESOURCE } from '../../../src/api/v1alpha1.ts';

export class LeakScan {
  readonly #keyLines = new Set<string>();
  readonly #credentials = new Map<string, string>();
  readonly #operators: OperatorProcess[] = [];
  readonly #scenarios: Scenario[] = [];
  readonly #metrics: { label: string; text: string }[] = [];

  addPrivateKey(pem: string): void {
    for (const line of privateKeyLines(pem)) this.#keyLines.add(line);
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
    const surfaces: [string, string][] = [];
    this.#operators.forEach((operator, i) =>
      surfaces.push([`output of operator #${i + 1}`, operator.output()]),
    );
    for (const { label, text } of this.#metrics) surfaces.push([`/metrics ${label}`, text]);
    for (const s of this.#scenarios) {
      const [events, resources] = await Promise.all([
        s.core.listNamespacedEvent({ namespace: s.namespace }),
        s.objects.listNamespacedCustomObject({
          ...APIG_CERTIFICATE_RESOURCE,
          namespace: s.namespace,
        }) as Promise<{ items: { status?: unknown }[] }>,
      ]);
      surfaces.push([`Events in ${s.namespace}`, JSON.stringify(events.items)]);
      surfaces.push([
        `ApigCertificate status in ${s.namespace}`,
        JSON.stringify(resources.items.map((r) => r.status ?? {})),
      ]);
    }

    return findSecrets({
      surfaces,
      keyLines: this.#keyLines,
      credentials: this.#credentials,
    });
  }
}
