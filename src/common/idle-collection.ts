// Giving memory back once a burst of work is over. V8 keeps what a burst of
// reconciles left (garbage in the old generation, emptied pages in its pools,
// Buffers only a collection frees) until its next collection, and an idle
// operator allocates too little to need one: the container would see the
// burst's high-water mark for the weeks until the next renewal. V8's memory
// reducer, meant for this, ran no collection in 40 s of idle after a restart
// of 1000 resources. So, once the process has gone quiet after its RSS grew,
// one full collection of the memory-reducing kind: at 1000 idle resources
// RSS fell from 104 to 90-92 MiB, for a few tens of ms of CPU once per burst
// (a memory-reducing mark-compact of 30 MiB took 30-42 ms).
// It needs Node's `--expose-gc` (the image sets it); without, nothing happens.

/** What the collector reads and does; the process's own in `processProbe()`. */
export interface IdleProbe {
  /** CPU time this process used so far, in ms. */
  cpuMs(): number;
  rssBytes(): number;
  /** A full, memory-reducing collection. */
  collect(): void;
}

export const IDLE_COLLECTION = {
  /** How often the process is looked at. */
  intervalMs: 1_000,
  /** Quiet: less CPU than this in each of `quietIntervals` intervals in a row (1 % of a core)... */
  quietCpuMs: 10,
  quietIntervals: 2,
  /** Worth a collection: RSS grew at least this much since the last one. */
  growthBytes: 2 * 1024 * 1024,
} as const;

export class IdleCollector {
  readonly #probe: IdleProbe;
  #cpuMs: number;
  #quietIntervals = 0;
  #rssAfterLast: number;

  constructor(probe: IdleProbe) {
    this.#probe = probe;
    this.#cpuMs = probe.cpuMs();
    this.#rssAfterLast = probe.rssBytes();
  }

  /** Called every interval; collects when the process went quiet after growing, and says how much RSS it freed. */
  check(): { rssBefore: number; rssAfter: number } | undefined {
    const cpuMs = this.#probe.cpuMs();
    this.#quietIntervals =
      cpuMs - this.#cpuMs < IDLE_COLLECTION.quietCpuMs ? this.#quietIntervals + 1 : 0;
    this.#cpuMs = cpuMs;
    if (this.#quietIntervals < IDLE_COLLECTION.quietIntervals) return undefined;
    const rssBefore = this.#probe.rssBytes();
    if (rssBefore - this.#rssAfterLast < IDLE_COLLECTION.growthBytes) return undefined;
    this.#probe.collect();
    const rssAfter = this.#probe.rssBytes();
    this.#rssAfterLast = rssAfter;
    // The collection's own CPU is not news of work.
    this.#cpuMs = this.#probe.cpuMs();
    return { rssBefore, rssAfter };
  }
}

type ExposedGc = (options: { type: 'major'; flavor: 'last-resort' }) => void;

/** This process, or undefined when Node runs without `--expose-gc`. */
export function processProbe(): IdleProbe | undefined {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (typeof gc !== 'function') return undefined;
  return {
    cpuMs: () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    },
    rssBytes: () => process.memoryUsage.rss(),
    // 'last-resort': collect until nothing more is freed, compact, and release pooled pages.
    collect: () => gc({ type: 'major', flavor: 'last-resort' }),
  };
}

/**
 * Checks every `IDLE_COLLECTION.intervalMs` without keeping the process alive,
 * telling `onCollected` what each collection freed; returns the stop.
 */
export function startIdleCollection(
  probe: IdleProbe,
  onCollected: (rss: { rssBefore: number; rssAfter: number }) => void,
): () => void {
  const collector = new IdleCollector(probe);
  const timer = setInterval(() => {
    const collected = collector.check();
    if (collected) onCollected(collected);
  }, IDLE_COLLECTION.intervalMs).unref();
  return () => clearInterval(timer);
}
