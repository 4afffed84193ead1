// What every fault-suite file sets up: its own control plane (started before
// the first test, stopped after the last), scenarios with a tap in front of
// their APIG simulator, operator processes, the leak scan that sees all of
// them, and cleanup that runs even when a test fails.
import type { SimulatorOptions } from '../../support/apig-simulator/index.ts';
import { startOperator, type OperatorProcess } from '../../support/operator.ts';
import { createScenario, type Scenario } from '../../support/scenario.ts';
import { startOwnControlPlane, type OwnControlPlane } from '../../support/control-plane/own.ts';
import { Fleet } from './fleet.ts';
import { LeakScan } from './leaks.ts';
import { HttpTap } from './tap.ts';

/** A scenario with its APIG tap and a fleet of resources in it. */
export interface FleetSetup {
  s: Scenario;
  tap: HttpTap;
  fleet: Fleet;
}

export interface FaultSuite {
  readonly leaks: LeakScan;
  /** The file's control plane (available once beforeAll has run). */
  controlPlane(): OwnControlPlane;
  /** A namespace and APIG simulator, with a tap the operator should use as APIG_ENDPOINT. */
  scenario(prefix: string, simulator?: SimulatorOptions): Promise<{ s: Scenario; tap: HttpTap }>;
  /** A scenario (as `scenario`) holding `size` Secrets and ApigCertificates named `prefix-<n>`. */
  fleet(prefix: string, size: number, simulator?: SimulatorOptions): Promise<FleetSetup>;
  /** Starts an operator process (killed after the file if still running) and scans its output. */
  operator(env: Record<string, string>): OperatorProcess;
  onCleanup(cleanup: () => Promise<unknown>): void;
}

/** Call once at the top of a test file: registers its beforeAll and afterAll. */
export function useFaultSuite(): FaultSuite {
  const leaks = new LeakScan();
  const cleanups: (() => Promise<unknown>)[] = [];
  let own: OwnControlPlane | undefined;

  beforeAll(async () => {
    own = await startOwnControlPlane();
    leaks.addCredential('the kube-apiserver admin token', own.info.token);
  }, 180_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await own?.stop();
  }, 60_000);

  const scenario: FaultSuite['scenario'] = async (prefix, simulator = {}) => {
    const s = await createScenario(`fault-${prefix}`, simulator);
    cleanups.push(() => s.close());
    leaks.addScenario(s);
    leaks.addCredential('the APIG token', s.token);
    const tap = await HttpTap.start(s.simulator.url);
    cleanups.push(() => tap.close());
    return { s, tap };
  };

  return {
    leaks,
    controlPlane() {
      if (!own) throw new Error('the control plane is not running');
      return own;
    },
    scenario,
    async fleet(prefix, size, simulator = {}) {
      const { s, tap } = await scenario(prefix, simulator);
      return { s, tap, fleet: await Fleet.create(s, leaks, prefix, size) };
    },
    operator(env) {
      const operator = leaks.addOperator(startOperator(env));
      cleanups.push(() => operator.stop('SIGKILL'));
      return operator;
    },
    onCleanup(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
