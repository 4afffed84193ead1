// Where a certificate is attached: API group domains on gateways. Request
// bodies in, typed results out; snake_case on the wire, camelCase here.
import {
  optionalBoolean,
  optionalNumber,
  optionalString,
  parsePage,
  requireObject,
  requiredString,
  type Page,
} from './wire.ts';

/** One domain to attach a certificate to (or detach it from). */
export interface DomainBinding {
  /** The domain as bound to an API group, e.g. `api.example.com`. */
  domain: string;
  /** The gateways whose group binds the domain; none: a global certificate's domains. */
  instanceIds?: readonly string[] | undefined;
  /** Client certificate verification; APIG's default: on when the certificate has a trusted CA. */
  verifiedClientCertificateEnabled?: boolean | undefined;
}

/** A domain the certificate is attached to, as `GET .../attached-domains` reports it. */
export interface AttachedDomain {
  urlDomain: string;
  /** The domain's ID in its API group. */
  id: string;
  /** CNAME resolution: 1 not resolved, 2 resolving, 3 resolved, 4 failed (undefined when absent). */
  status: number | undefined;
  minSslVersion: string;
  verifiedClientCertificateEnabled: boolean;
  /** The certificate's ID. */
  sslId: string;
  apiGroupId: string;
  apiGroupName: string;
  instanceId: string;
}

/** `{domains: [{domain, instance_ids, verified_client_certificate_enabled}]}`, present fields only. */
export function toWireDomains(domains: readonly DomainBinding[]): {
  domains: Record<string, unknown>[];
} {
  return {
    domains: domains.map((binding) => ({
      domain: binding.domain,
      ...(binding.instanceIds === undefined ? {} : { instance_ids: [...binding.instanceIds] }),
      ...(binding.verifiedClientCertificateEnabled === undefined
        ? {}
        : { verified_client_certificate_enabled: binding.verifiedClientCertificateEnabled }),
    })),
  };
}

function parseAttachedDomain(item: unknown): AttachedDomain {
  const raw = requireObject(item, 'domain');
  return {
    urlDomain: requiredString(raw, 'url_domain'),
    id: requiredString(raw, 'id'),
    status: optionalNumber(raw, 'status'),
    minSslVersion: optionalString(raw, 'min_ssl_version'),
    verifiedClientCertificateEnabled: optionalBoolean(raw, 'verified_client_certificate_enabled'),
    sslId: optionalString(raw, 'ssl_id'),
    apiGroupId: optionalString(raw, 'api_group_id'),
    apiGroupName: optionalString(raw, 'api_group_name'),
    instanceId: optionalString(raw, 'instance_id'),
  };
}

/** One page of `GET .../attached-domains`: `{size, total, bound_domains[]}`. */
export function parseAttachedDomainsPage(raw: unknown): Page<AttachedDomain> {
  return parsePage(raw, 'bound_domains', parseAttachedDomain);
}
