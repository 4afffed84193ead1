// The operator's only conversation with APIG / ROMA Connect certificates:
// the operations. How a call is sent (signing, rate limit, the one 401 retry,
// one request in flight per certificate, classification) is request.ts.
import type { ApigAuth } from './auth.ts';
import {
  parseCertificate,
  parseCertificatePage,
  toWireBody,
  type ApigCertificate,
  type CertificateBody,
  type CertificateQuery,
  type CertificateScope,
} from './certificate.ts';
import {
  parseAttachedDomainsPage,
  toWireDomains,
  type AttachedDomain,
  type DomainBinding,
} from './domains.ts';
import type { ApigOperation } from './errors.ts';
import {
  createApigRequester,
  type ApigClientOptions,
  type ApigRequest,
  type ApigService,
} from './request.ts';
import type { PacerStats } from './pacer.ts';
import type { Page } from './wire.ts';

export { SERVICE_PATH_SEGMENT } from './request.ts';
export type { ApigClientOptions, ApigCredentials, ApigService } from './request.ts';

/** The largest page APIG serves; lists are read in pages of this size. */
export const MAX_PAGE_SIZE = 500;

/** Which certificate a call is about. */
export interface CertificateTarget {
  certificateId: string;
  /** Overrides the client's default project ID. */
  projectId?: string | undefined;
}

/**
 * Every call rejects with a typed ApigError (branch on `kind`; a write's
 * `outcomeUnknown` says it may have taken effect, `apigRefusal()` names the
 * lifecycle refusals), with a TypeError for a call that cannot be made (no
 * project, empty ID, no domains), or with `signal.reason`.
 *
 * `signal` is honoured while waiting for the rate limit, for an earlier call
 * on the same certificate and for a token: aborted before the request is
 * dispatched, nothing is sent and the call rejects with `signal.reason` (a
 * DOMException named AbortError unless the caller gave `abort()` a reason). A
 * request already dispatched is not cut: APIG may apply it anyway, so its
 * answer is returned and can be recorded; a retry it would need (after a 401
 * or a 429) is withheld like a new request. A list stops between pages.
 */
export interface ApigClient {
  readonly service: ApigService;
  readonly authMode: ApigAuth['mode'];
  /** The seed: PUT …/certificates/{id}. Returns what APIG now holds. */
  updateCertificate(
    target: CertificateTarget,
    body: CertificateBody,
    signal?: AbortSignal,
  ): Promise<ApigCertificate>;
  /**
   * POST …/certificates in `scope` (its type and instance win over the body's;
   * a conflicting pair is a TypeError). Returns the new certificate with its ID.
   * APIG does not refuse a second certificate with the same name.
   */
  createCertificate(
    scope: CertificateScope,
    body: CertificateBody,
    signal?: AbortSignal,
  ): Promise<ApigCertificate>;
  /** GET …/certificates/{id}: what APIG holds (never the PEM). 404: kind `notFound`. */
  showCertificate(target: CertificateTarget, signal?: AbortSignal): Promise<ApigCertificate>;
  /**
   * GET …/certificates, every page. `name` is matched exactly (APIG's own
   * filter may match more); list items may leave `serialNumber`/`notBefore`
   * empty. ROMA Connect needs `instanceId` (else TypeError).
   */
  listCertificates(query: CertificateQuery, signal?: AbortSignal): Promise<ApigCertificate[]>;
  /** DELETE …/certificates/{id}. APIG refuses while attached (`apigRefusal` `certificateAttached`). */
  deleteCertificate(target: CertificateTarget, signal?: AbortSignal): Promise<void>;
  /** POST …/certificates/{id}/domains/attach (204). */
  attachDomains(
    target: CertificateTarget,
    domains: readonly DomainBinding[],
    signal?: AbortSignal,
  ): Promise<void>;
  /** POST …/certificates/{id}/domains/detach (204); none of them attached: `alreadyDetached`. */
  detachDomains(
    target: CertificateTarget,
    domains: readonly DomainBinding[],
    signal?: AbortSignal,
  ): Promise<void>;
  /** GET …/certificates/{id}/attached-domains, every page. */
  listAttachedDomains(target: CertificateTarget, signal?: AbortSignal): Promise<AttachedDomain[]>;
  /** The shared pacer's rate now and the 429s it has seen (for /metrics). */
  pacing(): PacerStats;
  /** Waits for requests in flight, then closes the connections. */
  close(): Promise<void>;
}

/** Reads pages of MAX_PAGE_SIZE from offset 0 until `total` items (or an empty page). */
async function allPages<T>(readPage: (offset: number) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  for (;;) {
    const page = await readPage(items.length);
    items.push(...page.items);
    if (page.items.length === 0 || items.length >= page.total) return items;
  }
}

function pageQuery(offset: number): Record<string, string> {
  return { offset: String(offset), limit: String(MAX_PAGE_SIZE) };
}

function scopedBody(scope: CertificateScope, body: CertificateBody): CertificateBody {
  for (const field of ['type', 'instanceId'] as const) {
    const [fromScope, fromBody] = [scope[field], body[field]];
    if (fromScope !== undefined && fromBody !== undefined && fromScope !== fromBody) {
      throw new TypeError(`createCertificate: scope ${field} ${fromScope} ≠ body ${fromBody}`);
    }
  }
  return {
    ...body,
    type: scope.type ?? body.type,
    instanceId: scope.instanceId ?? body.instanceId,
  };
}

function requireDomains(operation: ApigOperation, domains: readonly DomainBinding[]): void {
  if (domains.length === 0) throw new TypeError(`${operation}: no domains given`);
  if (domains.some((d) => d.domain === '')) throw new TypeError(`${operation}: empty domain`);
}

/** Builds the client; throws TypeError/RangeError on an unusable configuration. */
export function createApigClient(options: ApigClientOptions): ApigClient {
  const requester = createApigRequester(options);
  const call = <T>(spec: ApigRequest<T>): Promise<T> => requester.call(spec);

  function onCertificate<T>(
    operation: ApigOperation,
    target: CertificateTarget,
    rest: Omit<ApigRequest<T>, 'operation' | 'projectId' | 'certificateId' | 'path'> & {
      path?: readonly string[];
    },
  ): Promise<T> {
    return call({
      ...rest,
      operation,
      projectId: target.projectId,
      certificateId: target.certificateId,
      path: ['certificates', target.certificateId, ...(rest.path ?? [])],
    });
  }

  async function changeDomains(
    operation: 'attachDomains' | 'detachDomains',
    target: CertificateTarget,
    domains: readonly DomainBinding[],
    signal: AbortSignal | undefined,
  ): Promise<void> {
    requireDomains(operation, domains);
    await onCertificate(operation, target, {
      method: 'POST',
      path: ['domains', operation === 'attachDomains' ? 'attach' : 'detach'],
      body: toWireDomains(domains),
      signal,
    });
  }

  return {
    service: requester.service,
    authMode: requester.authMode,
    updateCertificate: (target, body, signal) =>
      onCertificate('updateCertificate', target, {
        method: 'PUT',
        body: toWireBody(body),
        parse: parseCertificate,
        signal,
      }),
    createCertificate: async (scope, body, signal) =>
      call({
        operation: 'createCertificate',
        method: 'POST',
        projectId: scope.projectId,
        path: ['certificates'],
        body: toWireBody(scopedBody(scope, body)),
        parse: parseCertificate,
        signal,
      }),
    showCertificate: (target, signal) =>
      onCertificate('showCertificate', target, { method: 'GET', parse: parseCertificate, signal }),
    listCertificates: async (query, signal) => {
      if (requester.service === 'roma' && !query.instanceId) {
        throw new TypeError('listCertificates: ROMA Connect needs an instanceId');
      }
      const filter: Record<string, string> = {
        ...(query.name ? { name: query.name } : {}),
        ...(query.type ? { type: query.type } : {}),
        ...(query.instanceId ? { instance_id: query.instanceId } : {}),
      };
      const all = await allPages((offset) => {
        signal?.throwIfAborted();
        return call({
          operation: 'listCertificates',
          method: 'GET',
          projectId: query.projectId,
          path: ['certificates'],
          query: { ...filter, ...pageQuery(offset) },
          parse: parseCertificatePage,
          signal,
        });
      });
      return query.name ? all.filter((c) => c.name === query.name) : all;
    },
    deleteCertificate: (target, signal) =>
      onCertificate<void>('deleteCertificate', target, { method: 'DELETE', signal }),
    attachDomains: (target, domains, signal) =>
      changeDomains('attachDomains', target, domains, signal),
    detachDomains: (target, domains, signal) =>
      changeDomains('detachDomains', target, domains, signal),
    listAttachedDomains: (target, signal) =>
      allPages((offset) => {
        signal?.throwIfAborted();
        return onCertificate('listAttachedDomains', target, {
          method: 'GET',
          path: ['attached-domains'],
          query: pageQuery(offset),
          parse: parseAttachedDomainsPage,
          signal,
        });
      }),
    pacing: () => requester.pacing(),
    close: () => requester.close(),
  };
}
