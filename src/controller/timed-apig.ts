// The controller's APIG: each lifecycle call counted and timed by operation and provider.
import type { ApigOperation } from '../apig/index.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { LifecycleApig } from './lifecycle/run.ts';

/**
 * Each APIG call counted and timed by operation and provider
 * (metrics.timeApigCall; the environment configuration when `provider` is absent).
 */
export function timedApig(apig: LifecycleApig, metrics: Metrics, provider?: string): LifecycleApig {
  const time = <T>(operation: ApigOperation, call: () => Promise<T>, signal?: AbortSignal) =>
    metrics.timeApigCall(operation, call, signal, provider);
  return {
    updateCertificate: (target, body, signal) =>
      time('updateCertificate', () => apig.updateCertificate(target, body, signal), signal),
    createCertificate: (scope, body, signal) =>
      time('createCertificate', () => apig.createCertificate(scope, body, signal), signal),
    showCertificate: (target, signal) =>
      time('showCertificate', () => apig.showCertificate(target, signal), signal),
    listCertificates: (query, signal) =>
      time('listCertificates', () => apig.listCertificates(query, signal), signal),
    deleteCertificate: (target, signal) =>
      time('deleteCertificate', () => apig.deleteCertificate(target, signal), signal),
    attachDomains: (target, domains, signal) =>
      time('attachDomains', () => apig.attachDomains(target, domains, signal), signal),
    detachDomains: (target, domains, signal) =>
      time('detachDomains', () => apig.detachDomains(target, domains, signal), signal),
    listAttachedDomains: (target, signal) =>
      time('listAttachedDomains', () => apig.listAttachedDomains(target, signal), signal),
  };
}
