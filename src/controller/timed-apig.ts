// The controller's APIG: each lifecycle call counted and timed by operation and provider.
import { CERTIFICATE_OPERATIONS, type CertificateOperation } from '../apig/index.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { LifecycleApig } from './lifecycle/run.ts';

type AnyCall = (...args: unknown[]) => Promise<unknown>;

/**
 * Each APIG call counted and timed by operation and provider
 * (metrics.timeApigCall; the environment configuration when `provider` is absent).
 * Every call takes its AbortSignal last, so the signal is found by type.
 */
export function timedApig(apig: LifecycleApig, metrics: Metrics, provider?: string): LifecycleApig {
  const timed = (operation: CertificateOperation): AnyCall => {
    const call = apig[operation] as AnyCall;
    return (...args) => {
      const signal = args.find((arg): arg is AbortSignal => arg instanceof AbortSignal);
      return metrics.timeApigCall(operation, () => call.apply(apig, args), signal, provider);
    };
  };
  return Object.fromEntries(
    CERTIFICATE_OPERATIONS.map((operation) => [operation, timed(operation)]),
  ) as unknown as LifecycleApig;
}
