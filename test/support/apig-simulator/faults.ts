// Fault injection: rules matched by service, method and certificate ID, firing
// on the next N calls (times) and/or with a probability (rate).
import type { Fault, FaultRule, ServiceName } from './types.ts';

export interface FaultTarget {
  service: ServiceName;
  method: string;
  certificateId?: string;
}

export interface PickedFaults {
  /** Sum of the latency faults that fired. */
  latencyMs: number;
  /** The first other fault that fired. */
  fault?: Exclude<Fault, { kind: 'latency' }>;
  after: boolean;
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

export class FaultInjector {
  #rules: ActiveRule[] = [];
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  add(rule: FaultRule): void {
    if (rule.rate !== undefined && !(rule.rate >= 0 && rule.rate <= 1)) {
      throw new RangeError(`fault rate must be within 0..1, got ${rule.rate}`);
    }
    if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times > 0)) {
      throw new RangeError(`fault times must be a positive integer, got ${rule.times}`);
    }
    if (rule.fault.kind === 'applyLate' && (rule.method?.toUpperCase() !== 'PUT' || rule.after)) {
      throw new RangeError('an applyLate fault needs method PUT and no `after`');
    }
    if (rule.fault.kind === 'holdAnswer' && !rule.after) {
      throw new RangeError(
        'a holdAnswer fault needs `after: true` (the request takes effect first)',
      );
    }
    this.#rules.push({ rule, remaining: rule.times ?? Infinity });
  }

  clear(): void {
    this.#rules = [];
  }

  pick(target: FaultTarget): PickedFaults {
    const picked: PickedFaults = { latencyMs: 0, after: false };
    for (const active of this.#rules) {
      if (picked.fault !== undefined && active.rule.fault.kind !== 'latency') continue;
      if (!this.#fires(active, target)) continue;
      if (active.rule.fault.kind === 'latency') {
        picked.latencyMs += active.rule.fault.ms;
      } else {
        picked.fault = active.rule.fault;
        picked.after = active.rule.after ?? false;
      }
    }
    this.#rules = this.#rules.filter((active) => active.remaining > 0);
    return picked;
  }

  #fires(active: ActiveRule, target: FaultTarget): boolean {
    const { rule } = active;
    const matches =
      (rule.service === undefined ? target.service !== 'iam' : rule.service === target.service) &&
      (rule.method === undefined || rule.method.toUpperCase() === target.method) &&
      (rule.certificateId === undefined || rule.certificateId === target.certificateId);
    if (!matches || active.remaining <= 0) return false;
    if (rule.rate !== undefined && !(this.#random() < rule.rate)) return false;
    active.remaining -= 1;
    return true;
  }
}
