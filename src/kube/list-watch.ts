import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.ts';
import { backoffDelay, withJitter, type BackoffPolicy } from './backoff.ts';
import { apiErrorFrom, isKubeApiError, type KubeClient } from './kube-client.ts';
import { readListBody, type ListMeta } from './list-body.ts';
import {
  METADATA_LIST_ACCEPT,
  METADATA_WATCH_ACCEPT,
  metadataStub,
  withoutManagedFields,
  type RawObject,
} from './metadata.ts';
import { ObjectStore, type KubeObject, type WatchEvent } from './object-store.ts';
import { collectionPath, type ResourceType } from './resources.ts';
import { isExpired, parseWatchLine, streamLines, type WatchEventLine } from './watch-stream.ts';

export interface ListWatchOptions<T extends KubeObject> {
  client: KubeClient;
  resource: ResourceType;
  /** Watch one namespace; undefined watches all namespaces. */
  namespace?: string;
  /**
   * Ask the API server for metadata only (PartialObjectMetadata). Use for
   * Secrets and ConfigMaps: their data never reaches the process through the
   * watch; the reconciler GETs the few it needs.
   */
  metadataOnly?: boolean;
  /**
   * Shapes what the store keeps. Default: `metadataStub` when `metadataOnly`,
   * otherwise the whole object minus managedFields. Applied to every object,
   * so memory stays bounded even if a server ignores the metadata Accept.
   */
  project?: (raw: RawObject) => T;
  /**
   * Called synchronously for every change, in order. It must only enqueue
   * keys: the watch does not await it and an exception is logged and dropped.
   */
  onEvent: (event: WatchEvent<T>) => void;
  /** LIST page size. Default 500. */
  pageSize?: number;
  /**
   * Abort and relist when nothing at all (event or bookmark) arrives for this
   * long. Default 5 min. A quiet watch on kube-apiserver 1.36 gets a bookmark
   * about every 2 min (and one just before `timeoutSeconds`), so keep this
   * well above 2 min or quiet namespaces relist for nothing.
   */
  watchdogMs?: number;
  /** Full relist period (plus up to `relistJitter` of it). Default 30 min. */
  relistIntervalMs?: number;
  /** Default 0.2. */
  relistJitter?: number;
  /** Server-side watch timeout; default random 5..10 min like client-go. */
  watchTimeoutSeconds?: number;
  /** Backoff between failed attempts. Default 1 s doubling to 30 s, jittered. */
  restartBackoff?: BackoffPolicy;
  /** Bound on one LIST page request. Default 60 s. */
  listTimeoutMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export const DEFAULT_RESTART_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };

export interface ListWatchStats {
  /** Completed LISTs (the first sync included). */
  lists: number;
  /** WATCH requests the server accepted. */
  watches: number;
  /** Relists caused by 410 Gone / too old resourceVersion. */
  expired: number;
  /** Watches aborted by the no-events watchdog. */
  stalls: number;
  /** Failed LIST/WATCH attempts (errors, unproductive stream ends). */
  errors: number;
}

/** Why a healthy watch stream ended. */
type WatchEnd = 'closed' | 'relist-due' | 'stalled' | 'stopped';

/** A stream that ends this soon without sending anything counts as a failure. */
const MIN_HEALTHY_WATCH_MS = 1_000;

/**
 * A supervised list+watch of one resource in one namespace (or all).
 *
 * LIST (paginated) fills the store, WATCH from the list's resourceVersion
 * keeps it current, with bookmarks. A 410 or "too old resource version"
 * relists; any other error, or a stream that ends at once, restarts after a
 * backoff; a watch that delivers nothing for `watchdogMs` (silent stall) is
 * aborted and relisted; and a full relist also runs every
 * `relistIntervalMs` (jittered). Every relist is diffed against the store, so
 * deletions missed while disconnected are reported.
 *
 * Not client-node's informer, whose hazards this avoids: in 1.x it stops for
 * good after any error but 410, its watches stall silently with no error and
 * no events, and 2.0.0 aborts every watch after 30 s.
 */
export class ListWatch<T extends KubeObject> {
  readonly #options: ListWatchOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #project: (raw: RawObject) => T;
  readonly #store = new ObjectStore<T>();
  readonly #stop = new AbortController();
  readonly #logger: Logger | undefined;
  readonly #stats: ListWatchStats = { lists: 0, watches: 0, expired: 0, stalls: 0, errors: 0 };
  #resourceVersion: string | undefined;
  #nextRelistAt = 0;
  #failures = 0;
  #running: Promise<void> | undefined;
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];

  constructor(options: ListWatchOptions<T>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#project =
      options.project ??
      (options.metadataOnly
        ? (metadataStub as unknown as (raw: RawObject) => T)
        : withoutManagedFields<T>);
    this.#logger = options.logger?.child({
      resource: options.resource.plural,
      namespace: options.namespace ?? '*',
    });
  }

  /** Starts listing and watching in the background; idempotent. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** Aborts the current request, stops restarting, and resolves when idle. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  /** True once the first LIST has been stored and announced. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves at the first sync, or when the watch is stopped before it. */
  synced(): Promise<void> {
    if (this.#synced || this.#stop.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#syncWaiters.push(resolve);
      this.#stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** The stored object for `namespace/name`. */
  get(key: string): T | undefined {
    return this.#store.get(key);
  }

  list(): T[] {
    return this.#store.list();
  }

  get size(): number {
    return this.#store.size;
  }

  stats(): Readonly<ListWatchStats> {
    return { ...this.#stats };
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async #run(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
        }
        const end = await this.#watch();
        if (end === 'relist-due') needList = true;
        if (end === 'stalled') {
          needList = true;
          this.#stats.stalls++;
          await this.#afterFailure(true, undefined);
        }
      } catch (error) {
        if (this.#stopped) break;
        const expired = isExpired(error);
        if (expired) {
          needList = true;
          this.#stats.expired++;
        }
        this.#stats.errors++;
        const fields = { err: error, failures: this.#failures + 1 };
        if (isKubeApiError(error, 403)) {
          // Not a blip: it fails until someone grants the permission.
          this.#logger?.error(
            fields,
            "list/watch forbidden by RBAC: grant list and watch to the operator's ServiceAccount; retrying",
          );
        } else {
          this.#logger?.warn(
            fields,
            expired ? 'watch expired; relisting' : 'list/watch failed; retrying',
          );
        }
        await this.#afterFailure(expired, error);
      }
    }
  }

  /**
   * Waits before the next attempt. Problems a relist cures (410, a stall) go
   * again at once the first time; repeats and other errors back off.
   */
  async #afterFailure(relisting: boolean, error: unknown): Promise<void> {
    this.#failures++;
    const policy = this.#options.restartBackoff ?? DEFAULT_RESTART_BACKOFF;
    const attempts = relisting ? this.#failures - 1 : this.#failures;
    const retryAfter = isKubeApiError(error) ? (error.retryAfterMs ?? 0) : 0;
    const delay = Math.max(backoffDelay(policy, attempts, this.#random), retryAfter);
    await this.#clock.sleep(delay, this.#stop.signal);
  }

  async #list(): Promise<void> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#withTimeout(this.#options.listTimeoutMs ?? 60_000, (signal) =>
        this.#listPage(continueToken, signal, (raw) => items.push(this.#project(raw))),
      );
      continueToken = page.continue || undefined;
      resourceVersion = page.resourceVersion;
    } while (continueToken);

    for (const event of this.#store.replace(items)) this.#emit(event);
    this.#resourceVersion = resourceVersion;
    this.#stats.lists++;
    const interval = this.#options.relistIntervalMs ?? 30 * 60_000;
    this.#nextRelistAt =
      this.#clock.now() + withJitter(interval, this.#options.relistJitter ?? 0.2, this.#random);
    this.#logger?.debug({ objects: items.length, resourceVersion }, 'listed');
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  /** One LIST page, each item projected as it arrives (list-body.ts says why). */
  async #listPage(
    continueToken: string | undefined,
    signal: AbortSignal,
    onItem: (raw: RawObject) => void,
  ): Promise<ListMeta> {
    const { client, resource, namespace } = this.#options;
    const path = collectionPath(resource, namespace);
    const response = await client.stream({
      path,
      query: { limit: this.#options.pageSize ?? 500, continue: continueToken },
      accept: this.#options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      signal,
    });
    if (response.statusCode !== 200) throw await apiErrorFrom(response, `GET ${path}`);
    return readListBody(response.body, onItem);
  }

  /** Runs `request` with a signal that aborts on stop or after `ms`. */
  async #withTimeout<R>(ms: number, request: (signal: AbortSignal) => Promise<R>): Promise<R> {
    const controller = new AbortController();
    const onStop = (): void => controller.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const timer = this.#clock.setTimeout(
      () => controller.abort(new Error(`request timed out after ${ms} ms`)),
      ms,
    );
    try {
      return await request(controller.signal);
    } finally {
      this.#clock.clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }

  async #watch(): Promise<WatchEnd> {
    const { client, resource, namespace } = this.#options;
    const controller = new AbortController();
    const interrupt = (end: WatchEnd) => (): void => controller.abort(end);
    const onStop = interrupt('stopped');
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    if (this.#stopped) controller.abort('stopped');

    const watchdogMs = this.#options.watchdogMs ?? 5 * 60_000;
    let lastDataAt = this.#clock.now();
    let received = false;
    let establishedAt: number | undefined;
    // A watch that delivered events or stayed up a while was healthy, whatever
    // ended it: the next failure starts the backoff afresh.
    const wasHealthy = (): boolean =>
      received ||
      (establishedAt !== undefined && this.#clock.now() - establishedAt >= MIN_HEALTHY_WATCH_MS);
    const timers: TimerHandle[] = [];
    const armWatchdog = (ms: number): void => {
      timers.push(
        this.#clock.setTimeout(() => {
          const idle = this.#clock.now() - lastDataAt;
          if (idle >= watchdogMs) controller.abort('stalled');
          else armWatchdog(watchdogMs - idle);
        }, ms),
      );
    };
    armWatchdog(watchdogMs);
    timers.push(
      this.#clock.setTimeout(interrupt('relist-due'), this.#nextRelistAt - this.#clock.now()),
    );

    try {
      const response = await client.stream({
        path: collectionPath(resource, namespace),
        query: {
          watch: 1,
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds:
            this.#options.watchTimeoutSeconds ?? Math.floor(300 * (1 + this.#random())),
        },
        accept: this.#options.metadataOnly ? METADATA_WATCH_ACCEPT : undefined,
        signal: controller.signal,
      });
      if (response.statusCode !== 200) {
        throw await apiErrorFrom(response, `WATCH ${resource.plural}`);
      }
      this.#stats.watches++;
      establishedAt = this.#clock.now();
      const onChunk = (): void => {
        lastDataAt = this.#clock.now();
      };
      for await (const line of streamLines(response.body, onChunk)) {
        this.#apply(parseWatchLine(line, resource.plural));
        received = true;
      }
    } catch (error) {
      const reason: unknown = controller.signal.reason;
      if (controller.signal.aborted && typeof reason === 'string') return reason as WatchEnd;
      throw error;
    } finally {
      for (const timer of timers) this.#clock.clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
      controller.abort('stopped');
      if (wasHealthy()) this.#failures = 0;
    }

    // The server closed the stream: normal at timeoutSeconds. One that closes
    // at once with nothing sent is a failure, to avoid reconnect storms.
    if (!wasHealthy()) throw new Error('watch stream ended immediately without events');
    return 'closed';
  }

  #apply({ type, object: raw }: WatchEventLine): void {
    if (type === 'BOOKMARK') {
      this.#resourceVersion = raw.metadata?.resourceVersion ?? this.#resourceVersion;
      return;
    }
    const object = this.#project(raw);
    this.#resourceVersion = object.metadata.resourceVersion ?? this.#resourceVersion;
    const event = type === 'DELETED' ? this.#store.remove(object) : this.#store.upsert(object);
    if (event) this.#emit(event);
  }

  #emit(event: WatchEvent<T>): void {
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#logger?.error({ err: error, type: event.type }, 'watch handler threw');
    }
  }
}
