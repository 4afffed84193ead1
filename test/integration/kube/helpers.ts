import type { KubeObject, WatchEvent } from '../../../src/kube/object-store.ts';
import { storeKey } from '../../../src/kube/object-store.ts';

/** Retries `check` until it stops throwing or `timeoutMs` passes (then rethrows). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Records watch events as `type namespace/name` lines, plus the raw events. */
export class EventLog<T extends KubeObject> {
  readonly events: WatchEvent<T>[] = [];

  readonly handler = (event: WatchEvent<T>): void => {
    this.events.push(event);
  };

  lines(filter?: (event: WatchEvent<T>) => boolean): string[] {
    return this.events
      .filter((e) => !filter || filter(e))
      .map((e) => `${e.type} ${storeKey(e.object.metadata)}`);
  }

  /** Lines about one object. */
  of(key: string): string[] {
    return this.lines((e) => storeKey(e.object.metadata) === key);
  }

  clear(): void {
    this.events.length = 0;
  }
}
