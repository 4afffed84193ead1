// RSS of a process every 100 ms from /proc, no GC forced: what `kubectl top`
// and the kernel see, and the RSS-over-time line of the chart.
import { readFile } from 'node:fs/promises';

export const RSS_SAMPLE_MS = 100;

export interface RssSample {
  /** Epoch ms. */
  at: number;
  rssBytes: number;
}

/** A `kB` field of /proc/<pid>/status, in bytes. */
export async function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export class RssSampler {
  readonly samples: RssSample[] = [];
  readonly #timer: NodeJS.Timeout;
  #reading = false;

  constructor(pid: number) {
    this.#timer = setInterval(() => {
      // A slow read (a loaded machine) skips a tick rather than piling up.
      if (this.#reading) return;
      this.#reading = true;
      statusBytes(pid, 'VmRSS')
        .then((rssBytes) => this.samples.push({ at: Date.now(), rssBytes }))
        // The process has exited: the last samples are all there is.
        .catch(() => this.stop())
        .finally(() => (this.#reading = false));
    }, RSS_SAMPLE_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Samples taken from `from` (epoch ms) on, up to `to`. */
  between(from: number, to = Number.POSITIVE_INFINITY): RssSample[] {
    return this.samples.filter((s) => s.at >= from && s.at <= to);
  }

  /** The highest sample so far; 0 before the first. */
  max(): number {
    return this.samples.reduce((max, s) => Math.max(max, s.rssBytes), 0);
  }
}
