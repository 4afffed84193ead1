// The digest rule, checked on what actually went over the wire: one PUT that
// APIG accepts per distinct content and target, and no PUT of a content after
// the operator has read APIG's 200 for it. Findings name certificates and
// request numbers, never content.
import type { ApigSimulator } from '../../support/apig-simulator/index.ts';
import type { TappedExchange } from './tap.ts';

/**
 * PUTs that re-sent a content the operator had already seen accepted (a 200
 * with a readable answer that reached it) for the same certificate: the digest rule forbids them
 * whatever the fault, unless the process that read the 200 died before
 * recording it.
 */
export function resentAfterAccepted(exchanges: readonly TappedExchange[]): string[] {
  const findings: string[] = [];
  const puts = exchanges.filter((e) => e.method === 'PUT');
  for (const put of puts) {
    const accepted = puts.find(
      (earlier) =>
        earlier.certificateId === put.certificateId &&
        earlier.bodyDigest === put.bodyDigest &&
        earlier.status === 200 &&
        earlier.answerIsJson === true &&
        earlier.answeredAt !== undefined &&
        earlier.answeredAt < put.sentAt,
    );
    if (accepted) {
      findings.push(
        `${put.certificateId}: PUT #${put.seq} re-sent the content PUT #${accepted.seq} had already seen accepted`,
      );
    }
  }
  return findings;
}

export interface PutAccount {
  certificateId: string;
  /** PUT attempts that reached the tap. */
  attempts: number;
  /** Distinct contents sent. */
  contents: number;
  /** PUTs the simulator stored. */
  applied: number;
  /** Attempts whose answer never reached the operator (timeout, reset, killed mid-call). */
  unanswered: number;
}

export function putAccount(
  exchanges: readonly TappedExchange[],
  simulator: ApigSimulator,
  certificateId: string,
): PutAccount {
  const puts = exchanges.filter((e) => e.method === 'PUT' && e.certificateId === certificateId);
  return {
    certificateId,
    attempts: puts.length,
    contents: new Set(puts.map((p) => p.bodyDigest)).size,
    applied: simulator.successfulPuts(certificateId).length,
    unanswered: puts.filter((p) => p.status === undefined).length,
  };
}

/**
 * For runs without APIG faults: every certificate got exactly one stored PUT
 * per distinct content it was sent, and every PUT was answered.
 */
export function onePutPerContent(
  exchanges: readonly TappedExchange[],
  simulator: ApigSimulator,
  certificateIds: readonly string[],
): string[] {
  const findings = resentAfterAccepted(exchanges);
  for (const id of certificateIds) {
    const a = putAccount(exchanges, simulator, id);
    if (a.applied !== a.contents || a.attempts !== a.contents || a.unanswered > 0) {
      findings.push(
        `${id}: ${a.attempts} PUT attempts, ${a.applied} stored, for ${a.contents} distinct contents (${a.unanswered} unanswered)`,
      );
    }
  }
  return findings;
}
