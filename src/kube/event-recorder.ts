import type { Logger } from 'pino';
import { systemClock, type Clock } from '../common/clock.ts';
import type { KubeClient } from './kube-client.ts';
import { collectionPath } from './resources.ts';

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  metadata: { namespace: string; name: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  client: KubeClient;
  /** `source.component` and `reportingComponent`. */
  component: string;
  /** `reportingInstance`: which replica spoke. */
  instance: string;
  /** The same event for the same object is not repeated within this window. Default 1 h. */
  repeatAfterMs?: number;
  clock?: Clock;
  logger?: Logger;
}

const MAX_MESSAGE = 1024;
const CORE_EVENTS = { group: '', version: 'v1', plural: 'events' };

/**
 * Creates core/v1 Events on objects. A resource stuck on one failure would
 * otherwise add an Event on every retry, so a Warning with the same reason as
 * the last event for that object is dropped until `repeatAfterMs` has passed,
 * even when its message differs (APIG's request id changes on every attempt;
 * the current message is always in status). A Normal event is dropped only
 * when it repeats exactly: each sync of new content is news. Failing to write
 * an event is logged, never thrown: events are for people, not for control
 * flow.
 */
export class EventRecorder {
  readonly #options: EventRecorderOptions;
  readonly #clock: Clock;
  readonly #repeatAfterMs: number;
  /** object uid (or namespace/name) -> last event fingerprint and when it was sent */
  readonly #last = new Map<string, { fingerprint: string; at: number }>();

  constructor(options: EventRecorderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#repeatAfterMs = options.repeatAfterMs ?? 3_600_000;
  }

  async record(
    object: InvolvedObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<boolean> {
    const { namespace, name, uid } = object.metadata;
    const id = uid ?? `${namespace}/${name}`;
    const fingerprint =
      type === 'Warning' ? `${type}\n${reason}` : `${type}\n${reason}\n${message}`;
    const now = this.#clock.now();
    const last = this.#last.get(id);
    if (last?.fingerprint === fingerprint && now - last.at < this.#repeatAfterMs) return false;
    this.#last.set(id, { fingerprint, at: now });
    const time = new Date(now).toISOString();
    try {
      await this.#options.client.json({
        method: 'POST',
        path: collectionPath(CORE_EVENTS, namespace),
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { generateName: `${name}.`, namespace },
          involvedObject: {
            apiVersion: object.apiVersion,
            kind: object.kind,
            namespace,
            name,
            uid,
            resourceVersion: object.metadata.resourceVersion,
          },
          type,
          reason,
          message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
          source: { component: this.#options.component },
          reportingComponent: this.#options.component,
          reportingInstance: this.#options.instance,
          firstTimestamp: time,
          lastTimestamp: time,
          count: 1,
        },
      });
      return true;
    } catch (error) {
      this.#last.delete(id);
      this.#options.logger?.warn(
        { err: error, namespace, name, reason },
        'could not record a Kubernetes event',
      );
      return false;
    }
  }

  /** Forgets an object (it was deleted). */
  forget(object: { metadata: { namespace: string; name: string; uid?: string } }): void {
    this.#last.delete(
      object.metadata.uid ?? `${object.metadata.namespace}/${object.metadata.name}`,
    );
  }
}
