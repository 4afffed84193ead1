// spec.deletionPolicy before any other step: the finalizer a Delete policy
// needs is added, a Retain policy (or skip-cleanup) removes ours, and a
// resource being deleted has APIG cleaned up first. The decisions are in
// lifecycle/cleanup.ts; this runs them against APIG and the API server.
import type { ApigCertificateResource } from '../api/v1alpha1.ts';
import { cleanUpApig, finalizersAfter, finalizerStep } from './lifecycle/cleanup.ts';
import { cleanupFailed } from './outcome.ts';
import type { Route } from './providers/route.ts';
import type { Publisher } from './publish.ts';
import type { ReconcileOutcome } from './reconcile.ts';

export interface DeletionPolicyContext {
  dryRun: boolean;
  now: () => Date;
  publisher: Publisher;
  /** Writes and reports a cleanup APIG refused. */
  reportFailure: (outcome: ReconcileOutcome) => Promise<void>;
  /** The finalizers were written: the cached resource is stale. */
  forgetCached: () => void;
}

/** 'reconcile' carries the resource as now written; 'done' when nothing is left to do. */
export type DeletionPolicyResult =
  | { kind: 'reconcile'; resource: ApigCertificateResource }
  | { kind: 'done' | 'gone' | 'conflict' }
  | { kind: 'failed'; error: Error };

export async function applyDeletionPolicy(
  resource: ApigCertificateResource,
  route: Exclude<Route, { kind: 'pending' }>,
  signal: AbortSignal,
  context: DeletionPolicyContext,
): Promise<DeletionPolicyResult> {
  const step = finalizerStep(resource);
  const deleting = resource.metadata.deletionTimestamp !== undefined;
  if (step.kind === 'none') return deleting ? { kind: 'done' } : { kind: 'reconcile', resource };
  if (step.kind === 'cleanUp') {
    if (context.dryRun) return { kind: 'done' };
    if (route.kind !== 'ready') {
      // No APIG to clean up with (the provider went): retried with backoff;
      // skip-cleanup lets the resource go.
      return {
        kind: 'failed',
        error: new Error(`cleaning up APIG before deletion: ${route.message}`),
      };
    }
    const projectId = resource.spec.projectId ?? route.target.defaultProjectId;
    const refusal = await cleanUpApig(
      step,
      resource.status?.certificateId,
      projectId,
      route.apig,
      signal,
    );
    if (refusal) {
      await context.reportFailure(cleanupFailed(resource, refusal, context.now()));
      return { kind: 'failed', error: refusal };
    }
  }
  const written = await context.publisher.writeFinalizers(
    resource,
    finalizersAfter(resource, step.kind === 'add' ? 'add' : 'remove'),
  );
  if (written.kind !== 'written') return written;
  context.forgetCached();
  return deleting ? { kind: 'done' } : { kind: 'reconcile', resource: written.resource };
}
