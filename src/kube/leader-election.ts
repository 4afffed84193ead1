import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { systemClock, type Clock, type TimerHandle } from '../common/clock.ts';
import { hasErrorKind } from '../common/errors.ts';
import { isKubeApiError } from './kube-client.ts';
import type { KubeClient } from './kube-client.ts';
import { decideLease, toMicroTime, type LeaseSpec } from './lease.ts';
import { collectionPath, LEASES, objectPath } from './resources.ts';

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** The Lease cannot be created because its namespace does not exist. */
export class LeaseNamespaceMissing extends Error {
  override readonly name = 'LeaseNamespaceMissing';
  readonly kind = 'leaseNamespaceMissing';

  constructor(namespace: string, cause: unknown) {
    super(
      `the Lease namespace "${namespace}" does not exist: create it, or set LEADER_ELECTION_NAMESPACE to an existing namespace; retrying`,
      { cause },
    );
  }
}

/** An identity unique per process: pod name (or host name) plus a random suffix. */
export function leaderIdentity(base: string = hostname()): string {
  return `${base}_${randomBytes(4).toString('hex')}`;
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name, e.g. `apig-cert-operator`. */
  name: string;
  /** Unique per process; see `leaderIdentity`. */
  identity: string;
  /** How long others wait before taking over an unrenewed lease. Default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up if it cannot renew for this long. Default 10 s. */
  renewDeadlineMs?: number;
  /** Interval between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
}

export interface LeaderCallbacks {
  /**
   * Called once the lease is held. `signal` aborts the moment leadership ends
   * (lost or `stop()`): stop writing then.
   */
  onStartedLeading: (signal: AbortSignal) => void;
  onStoppedLeading?: () => void;
  /** The observed holder changed (including to ourselves). */
  onNewLeader?: (identity: string) => void;
}

const JITTER = 0.2;

/**
 * Leader election on a `coordination.k8s.io/v1` Lease, after client-go:
 * optimistic concurrency on resourceVersion for every write, so two processes
 * can never both succeed in taking the same lease version. A leader that
 * cannot renew within `renewDeadlineMs` steps down before anyone else may take
 * over (`leaseDurationMs`, measured from when they saw the last renewal), and
 * `stop()` releases the lease (empty holder, 1 s duration) so a successor
 * takes over at once.
 */
export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #stop = new AbortController();
  readonly #logger: Logger | undefined;
  #running: Promise<void> | undefined;
  #leading: AbortController | undefined;
  /** The lease as we last read or wrote it, and when that version was first seen. */
  #observed: Lease | undefined;
  #observedAt = 0;
  #leader: string | undefined;
  #callbacks: LeaderCallbacks | undefined;
  /** Why no attempt can succeed until someone acts (the Lease's namespace is missing). */
  #blocked: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.#leaseDurationMs <= this.#renewDeadlineMs) {
      throw new RangeError('leaseDurationMs must be greater than renewDeadlineMs');
    }
    if (this.#renewDeadlineMs <= this.#retryPeriodMs * (1 + JITTER)) {
      throw new RangeError(`renewDeadlineMs must be greater than ${1 + JITTER} x retryPeriodMs`);
    }
    this.#logger = options.logger?.child({
      lease: `${options.namespace}/${options.name}`,
      identity: options.identity,
    });
  }

  get identity(): string {
    return this.#options.identity;
  }

  isLeader(): boolean {
    return this.#leading !== undefined && !this.#leading.signal.aborted;
  }

  /** The holder last observed on the lease ('' when released). */
  get leader(): string | undefined {
    return this.#leader;
  }

  /**
   * Set while the campaign cannot succeed until someone acts (today: the
   * Lease's namespace does not exist), with a message that says what to do.
   */
  get blocked(): string | undefined {
    return this.#blocked;
  }

  /**
   * Campaigns until the lease is acquired, leads until leadership is lost or
   * `stop()` is called, then resolves. Lost leadership is final for this
   * call; the caller decides whether to exit (controller-runtime does) or run
   * again.
   */
  run(callbacks: LeaderCallbacks): Promise<void> {
    if (this.#running) throw new Error('LeaderElector.run may be called only once');
    this.#callbacks = callbacks;
    this.#running = this.#run(callbacks);
    return this.#running;
  }

  /**
   * Ends leadership and releases the lease. Call it after in-flight work has
   * drained: a successor starts as soon as the release is written.
   */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }

  async #run(callbacks: LeaderCallbacks): Promise<void> {
    if (!(await this.#acquire())) return;
    const leading = new AbortController();
    this.#leading = leading;
    this.#logger?.info('became leader');
    callbacks.onStartedLeading(leading.signal);
    const lost = await this.#renewUntilLostOrStopped(leading);
    leading.abort();
    this.#logger?.info({ lost }, lost ? 'leadership lost' : 'stepping down');
    callbacks.onStoppedLeading?.();
    if (!lost) await this.#release();
  }

  async #acquire(): Promise<boolean> {
    while (!this.#stop.signal.aborted) {
      if (await this.#attempt(this.#renewDeadlineMs, this.#stop.signal)) return true;
      await this.#clock.sleep(this.#jittered(this.#retryPeriodMs), this.#stop.signal);
    }
    return false;
  }

  /** Returns true when leadership was lost, false when stopped. */
  async #renewUntilLostOrStopped(leading: AbortController): Promise<boolean> {
    let renewedAt = this.#clock.now();
    let expiry: TimerHandle | undefined;
    // Loss is detected by a timer, not by the loop, so a hung request or a
    // late wake-up cannot stretch leadership past the renew deadline.
    const armExpiry = (): void => {
      if (expiry !== undefined) this.#clock.clearTimeout(expiry);
      expiry = this.#clock.setTimeout(
        () => leading.abort(),
        renewedAt + this.#renewDeadlineMs - this.#clock.now(),
      );
    };
    armExpiry();
    const wake = AbortSignal.any([this.#stop.signal, leading.signal]);
    try {
      while (!wake.aborted) {
        await this.#clock.sleep(this.#retryPeriodMs, wake);
        if (wake.aborted) break;
        const startedAt = this.#clock.now();
        const remaining = renewedAt + this.#renewDeadlineMs - startedAt;
        if (await this.#attempt(remaining, wake)) {
          renewedAt = startedAt;
          armExpiry();
        } else if (this.#leader !== undefined && this.#leader !== this.identity) {
          // Someone else holds it now: we are certainly not the leader.
          leading.abort();
        }
      }
    } finally {
      if (expiry !== undefined) this.#clock.clearTimeout(expiry);
    }
    return leading.signal.aborted;
  }

  /** One try to acquire or renew; false on any failure. */
  async #attempt(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), Math.max(0, timeoutMs));
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const acquired = await this.#tryAcquireOrRenew(controller.signal);
      this.#blocked = undefined;
      return acquired;
    } catch (error) {
      if (hasErrorKind(error, 'leaseNamespaceMissing')) {
        // Logged when it starts, then visible on /readyz until it is fixed.
        if (this.#blocked === undefined) this.#logger?.error({ err: error }, error.message);
        this.#blocked = error.message;
      } else if (!controller.signal.aborted) {
        const fields = { err: error };
        if (isKubeApiError(error, 403)) {
          this.#logger?.error(
            fields,
            "lease forbidden by RBAC: grant get, create and update on leases in this namespace to the operator's ServiceAccount; retrying",
          );
        } else {
          this.#logger?.warn(fields, 'lease update failed');
        }
      }
      return false;
    } finally {
      this.#clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { client, namespace, name, identity } = this.#options;
    const now = this.#clock.now();
    let current: Lease | undefined;
    try {
      current = await client.json<Lease>({ path: objectPath(LEASES, namespace, name), signal });
    } catch (error) {
      if (!isKubeApiError(error, 404)) throw error;
    }
    if (current) this.#observe(current, now);
    const decision = decideLease({
      current: current?.spec,
      observedAtMs: this.#observedAt,
      nowMs: now,
      identity,
      leaseDurationMs: this.#leaseDurationMs,
    });
    if (!decision.acquire) return false;
    try {
      const written = current
        ? await client.json<Lease>({
            method: 'PUT',
            path: objectPath(LEASES, namespace, name),
            // metadata carries the resourceVersion we read: a concurrent write makes this 409.
            body: { ...current, spec: decision.spec },
            signal,
          })
        : await this.#create(decision.spec, signal);
      this.#observe(written, now);
      return true;
    } catch (error) {
      if (isKubeApiError(error, 409)) return false; // lost the race; re-read next time
      throw error;
    }
  }

  async #create(spec: LeaseSpec, signal: AbortSignal): Promise<Lease> {
    const { client, namespace, name } = this.#options;
    try {
      return await client.json<Lease>({
        method: 'POST',
        path: collectionPath(LEASES, namespace),
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec,
        },
        signal,
      });
    } catch (error) {
      // A create answers 404 only when the namespace itself does not exist.
      if (isKubeApiError(error, 404)) throw new LeaseNamespaceMissing(namespace, error);
      throw error;
    }
  }

  #observe(lease: Lease, now: number): void {
    if (lease.metadata.resourceVersion !== this.#observed?.metadata.resourceVersion) {
      this.#observedAt = now;
    }
    this.#observed = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.#leader) {
      this.#leader = holder;
      if (holder !== '') this.#callbacks?.onNewLeader?.(holder);
    }
  }

  /** Hands the lease back so a successor need not wait for it to expire. */
  async #release(): Promise<void> {
    const lease = this.#observed;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    const now = toMicroTime(this.#clock.now());
    const controller = new AbortController();
    const timer = this.#clock.setTimeout(() => controller.abort(), this.#renewDeadlineMs);
    try {
      const written = await this.#options.client.json<Lease>({
        method: 'PUT',
        path: objectPath(LEASES, this.#options.namespace, this.#options.name),
        body: {
          ...lease,
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: lease.spec.leaseTransitions ?? 0,
          },
        },
        signal: controller.signal,
      });
      this.#observe(written, this.#clock.now());
      this.#logger?.info('lease released');
    } catch (error) {
      // 409: someone else already wrote it, nothing of ours to release.
      this.#logger?.warn({ err: error }, 'lease release failed');
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  #jittered(ms: number): number {
    return ms * (1 + JITTER * this.#random());
  }
}
