// Which APIG certificate a resource without spec.certificateId keeps: the one
// of its scope named spec.name (adopt), none (create), or several (refuse).
// Pure: the listing in, a decision out.

/** A listed certificate, the fields the decision reads. */
export interface ListedCertificate {
  id: string;
  name: string;
}

export interface KnownCertificate {
  kind: 'known';
  certificateId: string;
  created: boolean;
}

export type CertificateChoice =
  | KnownCertificate
  | { kind: 'adopt'; certificateId: string }
  | { kind: 'create' }
  | { kind: 'ambiguous'; certificateIds: string[] };

/**
 * APIG's `name` query is a filter, not an exact match (a listing may hold
 * `shop_cert_old` for `shop_cert`), so only equal names count.
 */
export function chooseCertificate(
  name: string,
  listed: readonly ListedCertificate[],
): CertificateChoice {
  const matches = listed.filter((certificate) => certificate.name === name);
  const [only, ...others] = matches;
  if (!only) return { kind: 'create' };
  if (others.length > 0) {
    return { kind: 'ambiguous', certificateIds: matches.map((c) => c.id).sort() };
  }
  return { kind: 'adopt', certificateId: only.id };
}

/**
 * The ID the resource already knows, without a listing: the spec's, or the
 * one status recorded after an earlier adopt or create. A status ID recorded
 * for another spec.name is still the same certificate (a rename is a PUT of
 * the new name to it).
 */
export function knownCertificate(
  specId: string | undefined,
  status: { certificateId?: string | undefined; created?: boolean | undefined } | undefined,
): KnownCertificate | undefined {
  if (specId) return { kind: 'known', certificateId: specId, created: false };
  if (status?.certificateId) {
    return { kind: 'known', certificateId: status.certificateId, created: status.created === true };
  }
  return undefined;
}
