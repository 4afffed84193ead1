import type { KubeObject, WatchEvent } from '../../../src/kube/object-store.ts';
import { storeKey } from '../../../src/kube/object-store.ts';

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
