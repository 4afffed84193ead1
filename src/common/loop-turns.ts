// CPU-bound steps one per event-loop turn. Node runs every callback that is
// ready in one phase before it looks at timers again, so when a burst of
// renewals arrives, thirty reconciles whose Secrets came back in the same poll
// phase each parse a certificate and a key there, and the loop is held for
// 20-50 ms on two cores. The pacer's timers then fire late and together, and
// PUTs meant to be one interval apart reach APIG in a bunch: more of them in
// one second of its window than the rate allows, and a 429 a second later.
// Taking turns puts timers and sockets between any two such steps.
import { setImmediate as nextCheckPhase } from 'node:timers/promises';

export class LoopTurns {
  /** Resolves when the last turn handed out has begun. */
  #last: Promise<unknown> = Promise.resolve();

  /**
   * Resolves in a later event-loop turn than the previous caller's, after the
   * timers and I/O that came due meanwhile: the caller's synchronous work
   * until its next `await` is then the only such step in that turn.
   */
  next(): Promise<void> {
    const turn = this.#last.then(() => nextCheckPhase());
    this.#last = turn;
    return turn;
  }
}
