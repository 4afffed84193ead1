// Drift: what APIG holds compared with the Secret's leaf, and when the next
// read-back of a resource is due. Pure.
import { createHash } from 'node:crypto';
import type { CertificateSummary } from '../../certs/index.ts';

/** What differed; the label of apig_cert_operator_drift_total. */
export const DRIFT_KINDS = ['serial', 'notAfter', 'deleted', 'domain'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** What a GET of the certificate reads back, the fields compared. */
export interface HeldCertificate {
  serialNumber: string;
  notAfter: string;
}

/**
 * Whether APIG holds the leaf: the serial (APIG writes it in decimal; hex is
 * accepted too) and not-after must match. Any other field follows from these
 * for one issuer.
 */
export function certificateDrift(held: HeldCertificate, leaf: CertificateSummary): DriftKind[] {
  const kinds: DriftKind[] = [];
  if (!sameSerial(held.serialNumber, leaf)) kinds.push('serial');
  if (Date.parse(held.notAfter) !== leaf.notAfter.getTime()) kinds.push('notAfter');
  return kinds;
}

function sameSerial(held: string, leaf: CertificateSummary): boolean {
  const text = held.trim().toLowerCase().replace(/:/g, '');
  return text === leaf.serialNumberDecimal || text.replace(/^0+/, '') === leaf.serialNumber;
}

/**
 * A fraction in [0, 1) fixed per resource (its uid or key): spreads the
 * checks of many resources over the interval instead of reading all at once.
 */
export function spreadFraction(identity: string): number {
  return createHash('sha256').update(identity).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Milliseconds until the next drift check (0: due now); undefined when checks
 * are off (interval 0). Checks fall at `last + interval × (0.75 + 0.5 ×
 * spread)`: ±25 % jitter, fixed per resource, so resources synced together
 * drift apart. With no check recorded yet, the last sync is the base; with
 * neither, now.
 */
export function driftCheckInMs(
  lastCheck: string | undefined,
  lastSync: string | undefined,
  now: Date,
  intervalMs: number,
  identity: string,
): number | undefined {
  if (intervalMs <= 0) return undefined;
  const parsed = Date.parse(lastCheck ?? lastSync ?? '');
  // Never synced: the first write is about to happen; there is nothing to compare yet.
  const base = Number.isNaN(parsed) ? now.getTime() : parsed;
  const due = base + intervalMs * (0.75 + 0.5 * spreadFraction(identity));
  return Math.max(0, due - now.getTime());
}

export function describeDrift(kinds: readonly DriftKind[], detail: string): string {
  return `APIG differed from the Secret (${kinds.join(', ')}): ${detail}`;
}

/** What spreads a resource's checks: its uid, else its key. */
export function driftIdentity(metadata: {
  uid?: string | undefined;
  namespace: string;
  name: string;
}): string {
  return metadata.uid ?? `${metadata.namespace}/${metadata.name}`;
}
