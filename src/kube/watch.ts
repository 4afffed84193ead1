import type { Logger } from 'pino';
import { backoffDelay, withJitter } from './backoff.ts';
import type { BackoffPolicy } from './backoff.ts';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.ts';
import { apiErrorFrom, isKubeApiError, KubeApiError } from './kube-client.ts';
import type { KubeClient, KubeStatus } from './kube-client.ts';
import { ObjectStore } from './object-store.ts';
import type { KubeObject, ObjectMeta, WatchEvent } from './object-store.ts';
import { collectionPath } from './resources.ts';
import type { ResourceType } from './resources.ts';

/** An object as the API server sent it, before projection. */
export interface RawObject {
  metadata?: ObjectMeta & Record<string, unknown>;
  [field: string]: unknown;
}

/** What a metadata-only watch keeps of each object: nothing but identity and version. */
export interface MetadataStub extends KubeObject {
  metadata: { namespace?: string; name?: string; uid?: string; resourceVersion?: string };
}

/** Accept headers that make the API server strip everything but metadata. */
export const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const METADATA_WATCH_ACCEPT =
  'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

/**
 * Keeps namespace, name, uid and resourceVersion only. Labels and annotations
 * are dropped too: they can be large (Helm, last-applied-configuration) and a
 * change to a referenced Secret is detected by its resourceVersion alone.
 */
export function metadataStub(raw: RawObject): MetadataStub {
  const m = raw.metadata ?? {};
  return {
    metadata: {
      namespace: m.namespace,
      name: m.name,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
    },
  };
}

/** The object as sent minus `metadata.managedFields`, which nobody here reads. */
export function withoutManagedFields<T extends KubeObject>(raw: RawObject): T {
  if (!raw.metadata || !('managedFields' in raw.metadata)) return raw as unknown as T;
  const metadata = { ...raw.metadata };
  delete metadata.managedFields;
  return { ...raw, metadata } as unknown as T;
}

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

interface ListResponse {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: RawObject[];
}

interface WatchLine {
  type?: string;
  object?: RawObject & KubeStatus;
}

/** Why a healthy watch stream ended. */
type WatchEnd = 'closed' | 'relist-due' | 'stalled' | 'stopped';

/** Thrown for 410 / "too old resource version": only a relist helps. */
class ResourceExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceExpiredError';
  }
}

function isExpired(error: unknown): boolean {
  return error instanceof ResourceExpiredError || isKubeApiError(error, 410);
}

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
 * Not client-node's informer: see the hazards in operator-notes.md (stops
 * after errors in 1.x, silent stalls, 30 s aborts in 2.0.0).
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
        const fields = { err: errorSummary(error), failures: this.#failures + 1 };
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
    const retryAfter = error instanceof KubeApiError ? (error.retryAfterMs ?? 0) : 0;
    const delay = Math.max(backoffDelay(policy, attempts, this.#random), retryAfter);
    await this.#clock.sleep(delay, this.#stop.signal);
  }

  async #list(): Promise<void> {
    const { client, resource, namespace } = this.#options;
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.#withTimeout(this.#options.listTimeoutMs ?? 60_000, (signal) =>
        client.json<ListResponse>({
          path: collectionPath(resource, namespace),
          query: {
            limit: this.#options.pageSize ?? 500,
            continue: continueToken,
          },
          accept: this.#options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
          signal,
        }),
      );
      for (const raw of page.items ?? []) items.push(this.#project(raw));
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
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
      const response = await client.fetch({
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
      if (response.status !== 200) throw await apiErrorFrom(response, `WATCH ${resource.plural}`);
      this.#stats.watches++;
      establishedAt = this.#clock.now();
      if (!response.body) throw new Error('watch response has no body');

      const decoder = new TextDecoder();
      let buffered = '';
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        lastDataAt = this.#clock.now();
        buffered += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          this.#handleLine(line);
          received = true;
        }
      }
      if (buffered.trim() !== '') this.#handleLine(buffered.trim());
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

  #handleLine(line: string): void {
    let parsed: WatchLine;
    try {
      parsed = JSON.parse(line) as WatchLine;
    } catch {
      // Do not skip it silently: a lost event could be a lost delete.
      throw new Error(`unparsable watch line (${line.length} bytes)`);
    }
    const raw = parsed.object;
    if (!raw || typeof raw !== 'object')
      throw new Error(`watch event ${parsed.type} has no object`);
    switch (parsed.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const object = this.#project(raw);
        this.#resourceVersion = object.metadata.resourceVersion ?? this.#resourceVersion;
        const event = this.#store.upsert(object);
        if (event) this.#emit(event);
        return;
      }
      case 'DELETED': {
        const object = this.#project(raw);
        this.#resourceVersion = object.metadata.resourceVersion ?? this.#resourceVersion;
        const event = this.#store.remove(object);
        if (event) this.#emit(event);
        return;
      }
      case 'BOOKMARK':
        this.#resourceVersion = raw.metadata?.resourceVersion ?? this.#resourceVersion;
        return;
      case 'ERROR':
        throw statusError(raw, this.#options.resource.plural);
      default:
        throw new Error(`unknown watch event type ${String(parsed.type)}`);
    }
  }

  #emit(event: WatchEvent<T>): void {
    try {
      this.#options.onEvent(event);
    } catch (error) {
      this.#logger?.error({ err: errorSummary(error), type: event.type }, 'watch handler threw');
    }
  }
}

function statusError(status: KubeStatus, plural: string): Error {
  const message = status.message ?? '';
  if (status.code === 410 || /too old resource version/i.test(message)) {
    return new ResourceExpiredError(`watch ${plural}: ${status.code ?? ''} ${message}`.trim());
  }
  return new KubeApiError(status.code ?? 500, status, `WATCH ${plural} (error event)`);
}

function errorSummary(error: unknown): { name: string; message: string; statusCode?: number } {
  if (error instanceof KubeApiError) {
    return { name: error.name, message: error.message, statusCode: error.statusCode };
  }
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'unknown', message: String(error) };
}

export interface ResourceWatchOptions<T extends KubeObject> extends Omit<
  ListWatchOptions<T>,
  'namespace'
> {
  /** `WATCH_NAMESPACES`: one watch per namespace; empty means one cluster-wide watch. */
  namespaces: readonly string[];
}

/**
 * One resource watched in a set of namespaces (or cluster-wide) as one store.
 * Events from every namespace go to the same handler.
 */
export class ResourceWatch<T extends KubeObject> {
  readonly #watches = new Map<string | undefined, ListWatch<T>>();

  constructor(options: ResourceWatchOptions<T>) {
    const { namespaces, ...common } = options;
    const scopes = namespaces.length === 0 ? [undefined] : [...new Set(namespaces)];
    for (const namespace of scopes) {
      this.#watches.set(namespace, new ListWatch<T>({ ...common, namespace }));
    }
  }

  start(): void {
    for (const watch of this.#watches.values()) watch.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.stop()));
  }

  /** True when every namespace has completed its first LIST (readiness). */
  hasSynced(): boolean {
    return [...this.#watches.values()].every((w) => w.hasSynced());
  }

  async synced(): Promise<void> {
    await Promise.all([...this.#watches.values()].map((w) => w.synced()));
  }

  /** The stored object for `namespace/name`. */
  get(key: string): T | undefined {
    const namespace = key.includes('/') ? key.slice(0, key.indexOf('/')) : undefined;
    const watch = this.#watches.get(undefined) ?? this.#watches.get(namespace);
    return watch?.get(key);
  }

  list(): T[] {
    return [...this.#watches.values()].flatMap((w) => w.list());
  }

  get size(): number {
    let total = 0;
    for (const watch of this.#watches.values()) total += watch.size;
    return total;
  }

  /** Counters summed over every namespace. */
  stats(): ListWatchStats {
    const total: ListWatchStats = { lists: 0, watches: 0, expired: 0, stalls: 0, errors: 0 };
    for (const watch of this.#watches.values()) {
      const s = watch.stats();
      total.lists += s.lists;
      total.watches += s.watches;
      total.expired += s.expired;
      total.stalls += s.stalls;
      total.errors += s.errors;
    }
    return total;
  }
}
