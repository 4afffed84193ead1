// API groups' domains on gateways, and which certificate each domain serves:
// attach, detach and attached-domains. A domain has at most one certificate.
import { randomBytes } from 'node:crypto';
import type { HttpReply } from './auth.ts';
import { ApigError, domainNotFound, invalidParameter, missingParameter } from './errors.ts';
import { page } from './paging.ts';
import type { SeedDomain, StoredCertificate, StoredDomain } from './types.ts';

/** One entry of an attach/detach body, validated. */
interface DomainRequest {
  domain: string;
  instanceIds?: string[];
  verifiedClientCertificateEnabled?: boolean;
}

/** `{domains: [{domain, instance_ids[], verified_client_certificate_enabled}]}` (APIG.2000/2001/2012). */
function readDomainsBody(body: unknown): DomainRequest[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApigError(400, 'APIG.2000', 'The request body must be a JSON object');
  }
  const domains = (body as Record<string, unknown>).domains;
  if (domains === undefined || domains === null) throw missingParameter('domains');
  if (!Array.isArray(domains) || domains.length === 0) throw invalidParameter('domains');
  return domains.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw invalidParameter('domains');
    }
    const fields = entry as Record<string, unknown>;
    const domain = fields.domain;
    if (domain === undefined || domain === null || domain === '') throw missingParameter('domain');
    if (typeof domain !== 'string') throw invalidParameter('domain');
    const instanceIds = fields.instance_ids;
    if (
      instanceIds !== undefined &&
      instanceIds !== null &&
      (!Array.isArray(instanceIds) || !instanceIds.every((id) => typeof id === 'string'))
    ) {
      throw invalidParameter('instance_ids');
    }
    const verified = fields.verified_client_certificate_enabled;
    if (verified !== undefined && verified !== null && typeof verified !== 'boolean') {
      throw invalidParameter('verified_client_certificate_enabled');
    }
    return {
      domain,
      ...(Array.isArray(instanceIds) ? { instanceIds } : {}),
      ...(typeof verified === 'boolean' ? { verifiedClientCertificateEnabled: verified } : {}),
    };
  });
}

function toAttachedDomain(
  d: StoredDomain,
  certificate: StoredCertificate,
): Record<string, unknown> {
  return {
    url_domain: d.domain,
    id: d.id,
    status: 3, // CNAME resolved
    min_ssl_version: 'TLSv1.2',
    is_http_redirect_to_https: false,
    verified_client_certificate_enabled: d.verifiedClientCertificateEnabled,
    ssl_id: certificate.id,
    ssl_name: certificate.name,
    api_group_id: d.groupId,
    api_group_name: d.groupName,
    instance_id: d.instanceId,
  };
}

export class DomainStore {
  readonly #domains: StoredDomain[] = [];
  readonly #instances: Set<string>;

  /** Shares the set of known gateways with the certificate store. */
  constructor(instances: Set<string>) {
    this.#instances = instances;
  }

  seed(seed: SeedDomain): StoredDomain {
    if (this.#domains.some((d) => d.domain === seed.domain && d.instanceId === seed.instanceId)) {
      throw new Error(`domain ${seed.domain} is already seeded on instance ${seed.instanceId}`);
    }
    this.#instances.add(seed.instanceId);
    const stored: StoredDomain = {
      id: seed.domainId ?? randomBytes(16).toString('hex'),
      domain: seed.domain,
      instanceId: seed.instanceId,
      groupId: seed.groupId,
      groupName: seed.groupName ?? seed.groupId,
      verifiedClientCertificateEnabled: false,
    };
    this.#domains.push(stored);
    return { ...stored };
  }

  all(): StoredDomain[] {
    return this.#domains.map((d) => ({ ...d }));
  }

  attachedTo(certificateId: string): StoredDomain[] {
    return this.#domains.filter((d) => d.certificateId === certificateId);
  }

  /**
   * The domain records one request entry names: on the gateways it lists
   * (each must exist), else on the certificate's gateway (instance
   * certificate) or every gateway (global). Found only elsewhere: the
   * instance mismatch (inferred APIG.2012 instance_ids); nowhere: APIG.3020.
   */
  #resolve(request: DomainRequest, certificate: StoredCertificate): StoredDomain[] {
    const named = this.#domains.filter((d) => d.domain === request.domain);
    if (named.length === 0) throw domainNotFound(request.domain);
    let gateways: string[] | undefined = request.instanceIds;
    if (gateways !== undefined) {
      for (const id of gateways)
        if (!this.#instances.has(id)) throw invalidParameter('instance_ids');
    }
    if (certificate.type === 'instance') {
      if (gateways !== undefined && gateways.some((id) => id !== certificate.instanceId)) {
        throw invalidParameter('instance_ids');
      }
      gateways = [certificate.instanceId];
    }
    const allowed = gateways;
    const matching =
      allowed === undefined ? named : named.filter((d) => allowed.includes(d.instanceId));
    if (matching.length === 0) throw invalidParameter('instance_ids');
    return matching;
  }

  /** All or nothing: every entry is checked before any domain changes. */
  attach(certificate: StoredCertificate, body: unknown): HttpReply {
    const requests = readDomainsBody(body);
    const changes = requests.flatMap((request) => {
      const verified = request.verifiedClientCertificateEnabled ?? certificate.isHasTrustedRootCa;
      // Inferred: verification needs the certificate's trusted CA.
      if (verified && !certificate.isHasTrustedRootCa) {
        throw invalidParameter('verified_client_certificate_enabled');
      }
      return this.#resolve(request, certificate).map((domain) => {
        if (domain.certificateId !== undefined && domain.certificateId !== certificate.id) {
          throw new ApigError(
            400,
            'APIG.2051',
            `A domain name cannot be bound with different certificates;domain:${domain.domain}`,
          );
        }
        return { domain, verified };
      });
    });
    for (const { domain, verified } of changes) {
      domain.certificateId = certificate.id;
      domain.verifiedClientCertificateEnabled = verified;
    }
    return { status: 204 };
  }

  /** Detaches the named domains that have this certificate; none of them: APIG.2000. */
  detach(certificate: StoredCertificate, body: unknown): HttpReply {
    const requests = readDomainsBody(body);
    const attached = requests
      .flatMap((request) => this.#resolve(request, certificate))
      .filter((domain) => domain.certificateId === certificate.id);
    if (attached.length === 0) throw new ApigError(400, 'APIG.2000', 'no valid domain name');
    for (const domain of attached) this.#unbind(domain);
    return { status: 204 };
  }

  /** A person detaching one domain in the console. */
  consoleDetach(certificateId: string, domainName: string): void {
    const attached = this.attachedTo(certificateId).filter((d) => d.domain === domainName);
    if (attached.length === 0) {
      throw new Error(`domain ${domainName} is not attached to certificate ${certificateId}`);
    }
    for (const domain of attached) this.#unbind(domain);
  }

  detachAll(certificateId: string): void {
    for (const domain of this.attachedTo(certificateId)) this.#unbind(domain);
  }

  list(certificate: StoredCertificate, query: URLSearchParams): HttpReply {
    const urlDomain = query.get('url_domain');
    const matching = this.attachedTo(certificate.id).filter(
      (d) => !urlDomain || d.domain === urlDomain,
    );
    const items = page(matching, query);
    return {
      status: 200,
      body: {
        size: items.length,
        total: matching.length,
        bound_domains: items.map((d) => toAttachedDomain(d, certificate)),
      },
    };
  }

  #unbind(domain: StoredDomain): void {
    delete domain.certificateId;
    domain.verifiedClientCertificateEnabled = false;
  }
}
