// Publishing one reconcile's outcome: the status write, then the event, the
// log line and the per-resource metrics.
import type { Logger } from 'pino';
import type { EventRecorder } from '../kube/event-recorder.ts';
import { isKubeApiError, type KubeClient } from '../kube/kube-client.ts';
import { objectPath } from '../kube/resources.ts';
import { writeStatus } from '../kube/status-writer.ts';
import type { Metrics } from '../observability/metrics.ts';
import {
  API_VERSION,
  APIG_CERTIFICATE_KIND,
  APIG_CERTIFICATE_RESOURCE,
  type ApigCertificateResource,
  type ApigCertificateStatus,
} from '../api/v1alpha1.ts';
import { READY } from './conditions.ts';
import type { ReconcileOutcome } from './reconcile.ts';

/** How a status write ended; any other failure is thrown. */
export type StatusWrite =
  /** Written, or already as desired (`resourceVersion` undefined: nothing was sent). */
  | { kind: 'written'; resourceVersion: string | undefined }
  /** The resource was deleted while the pass worked: nothing left to report on. */
  | { kind: 'gone' }
  /** The resource changed since the pass read it: nothing was written; read it again. */
  | { kind: 'conflict' };

export interface PublisherOptions {
  client: KubeClient;
  events: EventRecorder;
  metrics: Metrics;
}

export class Publisher {
  readonly #options: PublisherOptions;

  constructor(options: PublisherOptions) {
    this.#options = options;
  }

  /**
   * Writes `status` as a merge patch on top of what `resource` holds, on
   * condition that the resource is still at the version the pass read: with
   * two writers (a replica that still believes it leads), neither silently
   * overwrites the other.
   */
  async writeStatus(
    resource: ApigCertificateResource,
    status: ApigCertificateStatus,
  ): Promise<StatusWrite> {
    try {
      const resourceVersion = await writeStatus(
        this.#options.client,
        APIG_CERTIFICATE_RESOURCE,
        resource,
        resource.status,
        status,
        { resourceVersion: resource.metadata.resourceVersion },
      );
      return { kind: 'written', resourceVersion };
    } catch (error) {
      if (isKubeApiError(error, 404)) return { kind: 'gone' };
      if (isKubeApiError(error, 409)) return { kind: 'conflict' };
      throw error;
    }
  }

  /**
   * A status write the pass must see done before it goes on (status.pendingCreate
   * before a POST). Returns the resource as written, for the pass's last write
   * to build on; rejects when nothing was written (the resource changed or went
   * meanwhile), so that the pass stops there and is retried.
   */
  async writeIntent(
    resource: ApigCertificateResource,
    status: ApigCertificateStatus,
  ): Promise<ApigCertificateResource> {
    const write = await this.writeStatus(resource, status);
    if (write.kind !== 'written') throw new StatusNotWrittenError(resource, write.kind);
    const resourceVersion = write.resourceVersion ?? resource.metadata.resourceVersion;
    return { ...resource, metadata: { ...resource.metadata, resourceVersion }, status };
  }

  /**
   * Sets metadata.finalizers (a merge patch replaces the list whole, so it
   * carries the resourceVersion read: a concurrent change by another
   * controller is a 409, not a loss). Returns the object as written.
   */
  async writeFinalizers(
    resource: ApigCertificateResource,
    finalizers: string[],
  ): Promise<
    { kind: 'written'; resource: ApigCertificateResource } | { kind: 'gone' | 'conflict' }
  > {
    const { namespace, name, resourceVersion } = resource.metadata;
    try {
      const written = await this.#options.client.json<ApigCertificateResource>({
        method: 'PATCH',
        path: objectPath(APIG_CERTIFICATE_RESOURCE, namespace, name),
        contentType: 'application/merge-patch+json',
        body: { metadata: { resourceVersion, finalizers } },
      });
      return { kind: 'written', resource: written };
    } catch (error) {
      if (isKubeApiError(error, 404)) return { kind: 'gone' };
      if (isKubeApiError(error, 409)) return { kind: 'conflict' };
      throw error;
    }
  }

  /** The event, the log line and the metrics of an outcome whose status is written. */
  async report(
    resource: ApigCertificateResource,
    outcome: ReconcileOutcome,
    logger: Logger,
  ): Promise<void> {
    const { namespace, name } = resource.metadata;
    if (outcome.event) {
      const { type, reason, message } = outcome.event;
      const involved = {
        apiVersion: API_VERSION,
        kind: APIG_CERTIFICATE_KIND,
        metadata: resource.metadata,
      };
      await this.#options.events.record(involved, type, reason, message);
    }
    const ready = outcome.status.conditions?.find((c) => c.type === READY);
    const fields = {
      result: outcome.result,
      reason: ready?.reason,
      message: ready?.message,
      certificateId: outcome.status.certificateId ?? resource.spec.certificateId,
    };
    if (outcome.result === 'synced') logger.info(fields, 'reconciled');
    else if (ready?.status === 'True') logger.debug(fields, 'reconciled');
    else logger.warn(fields, 'reconciled');
    const notAfter = outcome.status.notAfter ? new Date(outcome.status.notAfter) : undefined;
    for (const kind of outcome.drift ?? []) this.#options.metrics.countDrift(kind);
    const certificateId = outcome.status.certificateId ?? resource.spec.certificateId ?? '';
    this.#options.metrics.setResourceState(namespace, name, {
      certificateId,
      ready: ready?.status === 'True',
      notAfter,
      attachedDomains: resource.spec.domains
        ? (outcome.status.domains ?? []).filter((domain) => domain.bound).length
        : undefined,
    });
  }
}

/** A status write the pass depends on did not happen. */
export class StatusNotWrittenError extends Error {
  override readonly name = 'StatusNotWrittenError';
  readonly kind = 'statusNotWritten';
  readonly reason: 'gone' | 'conflict';

  constructor(resource: ApigCertificateResource, reason: 'gone' | 'conflict') {
    const { namespace, name } = resource.metadata;
    super(
      `${namespace}/${name}: status.pendingCreate not written (${reason === 'gone' ? 'the resource was deleted' : 'the resource changed since it was read'}); the create is not sent`,
    );
    this.reason = reason;
  }
}
