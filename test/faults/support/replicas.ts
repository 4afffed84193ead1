// Operator processes for fault cases: the environment of a scenario with
// overrides, a replica that is started again whenever it exits (what the
// kubelet does for a Deployment's pod), and reading /metrics.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { metricValue } from '../../support/metrics-text.ts';
import { startOperator, type OperatorProcess } from '../../support/operator.ts';
import type { Scenario } from '../../support/scenario.ts';
import type { LeakScan } from './leaks.ts';

/** The scenario's operator environment with `overrides`; an undefined value removes the variable. */
export function operatorEnv(
  s: Scenario,
  overrides: Record<string, string | undefined>,
): Record<string, string> {
  const env: Record<string, string | undefined> = { ...s.operatorEnv(), ...overrides };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** A kubeconfig file for a plain-http API endpoint without credentials (a FaultProxy). */
export async function proxyKubeconfig(dir: string, server: string, name: string): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster:
    server: ${server}
    # client-node refuses plain http unless TLS verification is off
    insecure-skip-tls-verify: true
users:
- name: through-proxy
  user: {}
contexts:
- name: proxy
  context:
    cluster: proxy
    user: through-proxy
current-context: proxy
`,
    { mode: 0o600 },
  );
  return path;
}

export interface Exit {
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One replica of the Deployment: its process is started again after every exit until stop(). */
export class Replica {
  readonly exits: Exit[] = [];
  #current: OperatorProcess;
  #stopped = false;
  readonly #env: Record<string, string>;
  readonly #leaks: LeakScan;

  constructor(env: Record<string, string>, leaks: LeakScan) {
    this.#env = env;
    this.#leaks = leaks;
    this.#current = this.#start();
  }

  /** The process running now (a new one after each restart). */
  get current(): OperatorProcess {
    return this.#current;
  }

  #start(): OperatorProcess {
    const operator = this.#leaks.addOperator(startOperator(this.#env));
    operator.child.once('exit', (code, signal) => {
      this.exits.push({ at: Date.now(), code, signal });
      if (!this.#stopped) this.#current = this.#start();
    });
    return operator;
  }

  /** Stops supervising and ends the process (SIGTERM: finish in-flight calls, release the lease). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopped = true;
    await this.#current.stop(signal);
  }
}

export const watchRestarts = (
  text: string,
  resource: 'apigcertificates' | 'secrets' | 'configmaps' | 'apigproviders',
  reason: 'expired' | 'stalled' | 'error',
): number =>
  metricValue(text, 'apig_cert_operator_watch_restarts_total', { resource, reason }) ?? 0;
