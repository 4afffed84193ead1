// spec.domains against the leaf's SANs and against what APIG reports as
// attached: which domains are not covered, which to attach, which to detach,
// and the status to record. Pure: plain values in, a plan out.
import type { DomainSpec, DomainStatus } from '../../api/v1alpha1.ts';

/** One row of APIG's attached-domains, the fields the plan reads. */
export interface AttachedDomainView {
  urlDomain: string;
  instanceId: string;
  apiGroupName: string;
  /** CNAME resolution: 1 not resolved, 2 resolving, 3 resolved, 4 failed. */
  status: number | undefined;
}

const RESOLUTION = {
  1: 'NotResolved',
  2: 'Resolving',
  3: 'Resolved',
  4: 'ResolutionFailed',
} as const;

function resolutionText(status: number | undefined): string | undefined {
  if (status === undefined) return undefined;
  return RESOLUTION[status as keyof typeof RESOLUTION] ?? String(status);
}

/** A domain to attach or detach, as the attach/detach bodies take it. */
export interface DomainChange {
  domain: string;
  instanceIds?: string[];
  verifiedClientCertificateEnabled?: boolean;
}

function normalise(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a SAN entry covers a host as TLS clients match it (RFC 6125
 * §6.4.3, as browsers apply it): equal ignoring case, or a `*.` wildcard
 * standing for exactly one left-most label. A wildcard host (`*.example.com`)
 * is covered only by the same wildcard.
 */
export function sanCovers(san: string, host: string): boolean {
  const pattern = normalise(san);
  const name = normalise(host);
  if (pattern === name) return true;
  if (!pattern.startsWith('*.') || name.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
}

/** The declared domains no SAN of the leaf covers, in spec order. */
export function uncoveredDomains(
  domains: readonly DomainSpec[],
  subjectAltNames: readonly string[],
): string[] {
  return domains
    .map((domain) => domain.name)
    .filter((name) => !subjectAltNames.some((san) => sanCovers(san, name)));
}

export interface DomainPlan {
  /** Declared but not (fully) attached: each with the instances still missing. */
  attach: DomainChange[];
  /** Attached by this resource earlier and no longer declared. */
  detach: DomainChange[];
  /** status.domains: every declared domain as APIG reports it now. */
  status: DomainStatus[];
}

/**
 * What to send so APIG attaches exactly the declared domains this resource
 * is responsible for. Attachments made by others (the console, another
 * tool) and not declared here are left alone: only a domain named in
 * `attachedByUs` is ever detached.
 */
export function planDomains(
  declared: readonly DomainSpec[],
  attached: readonly AttachedDomainView[],
  attachedByUs: readonly string[],
): DomainPlan {
  const rowsOf = (name: string) => attached.filter((row) => sameHost(row.urlDomain, name));
  const attach: DomainChange[] = [];
  const status: DomainStatus[] = [];
  for (const domain of declared) {
    const rows = rowsOf(domain.name);
    const missing = (domain.instanceIds ?? []).filter(
      (instance) => !rows.some((row) => row.instanceId === instance),
    );
    const bound = domain.instanceIds ? missing.length === 0 : rows.length > 0;
    if (!bound) attach.push(change(domain, domain.instanceIds ? missing : undefined));
    const row = rows[0];
    const resolution = resolutionText(row?.status);
    status.push({
      name: domain.name,
      bound,
      ...(row ? { instanceId: row.instanceId, apiGroupName: row.apiGroupName } : {}),
      ...(resolution ? { status: resolution } : {}),
    });
  }
  const detach = attachedByUs
    .filter((name) => !declared.some((domain) => sameHost(domain.name, name)))
    .filter((name) => rowsOf(name).length > 0)
    .map((name) => ({ domain: name }));
  return { attach, detach, status };
}

/** status.attachedDomains after the plan's calls succeeded: sorted, each once. */
export function attachedByUsAfter(
  before: readonly string[],
  plan: Pick<DomainPlan, 'attach' | 'detach'>,
): string[] {
  const names = new Set(before.map(normalise));
  for (const change of plan.attach) names.add(normalise(change.domain));
  for (const change of plan.detach) names.delete(normalise(change.domain));
  return [...names].sort();
}

function sameHost(a: string, b: string): boolean {
  return normalise(a) === normalise(b);
}

function change(domain: DomainSpec, instanceIds: string[] | undefined): DomainChange {
  return {
    domain: domain.name,
    ...(instanceIds ? { instanceIds } : {}),
    ...(domain.verifiedClientCertificateEnabled === undefined
      ? {}
      : { verifiedClientCertificateEnabled: domain.verifiedClientCertificateEnabled }),
  };
}
