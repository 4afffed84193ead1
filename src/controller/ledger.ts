import type { AcceptedContent } from './reconcile.ts';

/**
 * One PUT per content and target: APIG is sent a given certificate content
 * for a given certificate at most once. The rest of the controller relies on
 * this comment for the why; the pieces that make it hold are:
 *
 * - The content's identity is `contentDigest` (content.ts): endpoint,
 *   service, project, certificate ID and every byte of the body. After a PUT
 *   APIG accepted it is written to `status.syncedHash`; reconcile sends only
 *   when the Secret's content has a different digest. The digest lives in
 *   status, so a GitOps tool that reverts the spec cannot erase it.
 * - Status is read at the version the API server has (inputs.ts, the
 *   cache-freshness rule): a cached copy from before our last status write
 *   lacks that syncedHash and would send the same content again.
 * - The status write carries the resourceVersion the pass read (publish.ts):
 *   a write that raced another writer fails with 409, and the pass reads
 *   again instead of overwriting what the other writer recorded.
 * - This ledger: a content APIG accepted whose status write then failed (the
 *   API server down, a 409) is kept here by resource key, and the next pass
 *   records it (`acceptedEarlier`) instead of sending it again.
 * - Only the leader reconciles, and a PUT not yet sent when leadership is lost
 *   or the process stops is not sent (the work item's AbortSignal); one
 *   already sent finishes and is recorded.
 * - A content APIG refused is not sent again for the same generation until
 *   the resync period has passed (`status.failedHash`).
 */
export class AcceptedContentLedger {
  readonly #unrecorded = new Map<string, AcceptedContent>();

  /** What APIG accepted for `key` that no status records yet. */
  unrecorded(key: string): AcceptedContent | undefined {
    return this.#unrecorded.get(key);
  }

  /** APIG accepted `content`: keep it until a status write records it. */
  accepted(key: string, content: AcceptedContent): void {
    this.#unrecorded.set(key, content);
  }

  /** The status of `key` was written (or the resource is gone): nothing left to record. */
  recorded(key: string): void {
    this.#unrecorded.delete(key);
  }
}
