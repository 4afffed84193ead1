// One check of one provider: read its Secret, (re)build its APIG client when
// the spec or the Secret changed, prove the credentials, write the status.
import type { Logger } from 'pino';
import type { Clock } from '../../common/clock.ts';
import { isKubeApiError, type KubeClient } from '../../kube/kube-client.ts';
import { SECRETS, collectionPath, objectPath } from '../../kube/resources.ts';
import { statusPatchBody } from '../../kube/status-writer.ts';
import {
  APIG_PROVIDER_KIND,
  APIG_PROVIDER_RESOURCE,
  CLUSTER_APIG_PROVIDER_RESOURCE,
  type ApigProviderResource,
  type ApigProviderStatus,
} from '../../api/providers.ts';
import { READY, setCondition } from '../conditions.ts';
import type { LifecycleApig } from '../lifecycle/run.ts';
import type { Lookup } from '../reconcile.ts';
import { PROVIDER_REASONS } from './reasons.ts';
import {
  credentialSecretName,
  providerLabel,
  providerSettings,
  type ProviderId,
  type ProviderProblem,
  type ProviderSettings,
  type ProviderTarget,
} from './settings.ts';
import {
  problemReadiness,
  verification,
  type Readiness,
  type Verification,
} from './verification.ts';

/** A provider's own APIG client. */
export interface ProviderClient {
  apig: LifecycleApig;
  target: ProviderTarget;
  /** Proves the credentials with a read (or a token); throws what APIG or IAM answered. */
  verify(signal: AbortSignal): Promise<void>;
  /** Closes now (the operator stops). */
  close(): Promise<void>;
  /** Closes once reconciles that still hold it are done (the provider changed or went). */
  retire(): void;
}

/** Builds a provider's client; throws TypeError on settings it cannot use. */
export type ProviderClientFactory = (settings: ProviderSettings, id: ProviderId) => ProviderClient;

export interface ProviderEntry {
  id: ProviderId;
  label: string;
  generation: number | undefined;
  /** uid, generation and the Secret's resourceVersion: a new one rebuilds the client. */
  fingerprint: string;
  built: ProviderClient | undefined;
  /** What the settings accepted with a remark (plain http), repeated in the Ready message. */
  warnings: readonly string[];
  verification: Verification | undefined;
  nextCheckAt: number;
}

export interface PassResult {
  entry: ProviderEntry;
  /** The client or the readiness changed: the certificates that use it must be reconciled. */
  changed: boolean;
  recheckAfterMs: number;
}

export interface ProviderPassOptions {
  client: KubeClient;
  clusterResourceNamespace: string | undefined;
  createClient: ProviderClientFactory;
  logger: Logger;
  clock: Clock;
}

interface SecretRead {
  lookup: Lookup<Record<string, string>>;
  resourceVersion: string;
}

export class ProviderPass {
  readonly #options: ProviderPassOptions;

  constructor(options: ProviderPassOptions) {
    this.#options = options;
  }

  async run(
    id: ProviderId,
    provider: ApigProviderResource,
    previous: ProviderEntry | undefined,
    signal: AbortSignal,
  ): Promise<PassResult> {
    const { clock } = this.#options;
    const namespace = this.#resourceNamespace(id);
    const secretName = credentialSecretName(provider.spec);
    const secret =
      typeof namespace === 'string' && secretName !== undefined
        ? await this.#readSecret(namespace, secretName, signal)
        : undefined;
    const { uid = '', generation } = provider.metadata;
    const fingerprint = `${uid}/${generation ?? ''}/${secret?.resourceVersion ?? '-'}`;
    const now = clock.now();
    const same = previous?.fingerprint === fingerprint;
    if (same && previous.verification && now < previous.nextCheckAt) {
      return { entry: previous, changed: false, recheckAfterMs: previous.nextCheckAt - now };
    }

    let client = same ? previous.built : undefined;
    let warnings = same ? previous.warnings : [];
    let result: Verification;
    if (typeof namespace !== 'string') {
      result = problemReadiness(namespace);
    } else if (client) {
      result = await this.#verify(client, warnings, signal);
    } else {
      const settings = providerSettings({
        spec: provider.spec,
        resourceNamespace: namespace,
        secret: secret?.lookup,
      });
      const built = settings.ok ? this.#build(settings.settings, id) : settings.problem;
      if ('reason' in built) {
        result = problemReadiness(built);
      } else {
        client = built;
        warnings = settings.ok ? settings.settings.warnings : [];
        result = await this.#verify(client, warnings, signal);
      }
    }
    if (previous?.built && previous.built !== client) previous.built.retire();

    const entry: ProviderEntry = {
      id,
      label: providerLabel(id),
      generation,
      fingerprint,
      built: client,
      warnings,
      verification: result,
      nextCheckAt: now + result.recheckAfterMs,
    };
    await this.#writeStatus(id, provider, result.readiness);
    const before = previous?.verification?.readiness;
    const changed =
      client !== previous?.built ||
      before?.ready !== result.readiness.ready ||
      before.reason !== result.readiness.reason;
    if (changed) {
      this.#options.logger.info(
        { provider: entry.label, ready: result.readiness.ready, reason: result.readiness.reason },
        'provider checked',
      );
    }
    return { entry, changed, recheckAfterMs: result.recheckAfterMs };
  }

  /** Where the provider's Secrets and ServiceAccount are, or why it has none. */
  #resourceNamespace(id: ProviderId): string | ProviderProblem {
    const own = this.#options.clusterResourceNamespace;
    if (id.kind === APIG_PROVIDER_KIND) {
      if (id.namespace === own) {
        return {
          reason: PROVIDER_REASONS.namespaceReserved,
          message: `ApigProviders are not served in the operator's namespace ${own}, where its own credentials live: use a ClusterApigProvider`,
        };
      }
      return id.namespace ?? '';
    }
    if (own === undefined) {
      return {
        reason: PROVIDER_REASONS.noClusterResourceNamespace,
        message:
          'no namespace for ClusterApigProvider Secrets: set CLUSTER_RESOURCE_NAMESPACE (or POD_NAMESPACE) when running outside a cluster',
      };
    }
    return own;
  }

  #build(settings: ProviderSettings, id: ProviderId): ProviderClient | ProviderProblem {
    try {
      return this.#options.createClient(settings, id);
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        return { reason: PROVIDER_REASONS.invalidSpec, message: error.message };
      }
      throw error;
    }
  }

  async #verify(
    client: ProviderClient,
    warnings: readonly string[],
    signal: AbortSignal,
  ): Promise<Verification> {
    try {
      await client.verify(signal);
      return verification(undefined, warnings);
    } catch (error) {
      if (signal.aborted) throw error;
      return verification(error, warnings);
    }
  }

  async #readSecret(namespace: string, name: string, signal: AbortSignal): Promise<SecretRead> {
    try {
      const secret = await this.#options.client.json<{
        metadata?: { resourceVersion?: string };
        data?: Record<string, string>;
      }>({ path: objectPath(SECRETS, namespace, name), signal });
      const data: Record<string, string> = {};
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        data[key] = Buffer.from(value, 'base64').toString('utf8');
      }
      return {
        lookup: { found: true, value: data },
        resourceVersion: secret.metadata?.resourceVersion ?? '',
      };
    } catch (error) {
      if (isKubeApiError(error, 404)) {
        return { lookup: { found: false, what: 'not found' }, resourceVersion: 'absent' };
      }
      throw error;
    }
  }

  async #writeStatus(
    id: ProviderId,
    provider: ApigProviderResource,
    readiness: Readiness,
  ): Promise<void> {
    const { generation } = provider.metadata;
    const desired: ApigProviderStatus = {
      ...(generation === undefined ? {} : { observedGeneration: generation }),
      conditions: setCondition(
        provider.status?.conditions,
        {
          type: READY,
          status: readiness.ready ? 'True' : 'False',
          reason: readiness.reason,
          message: readiness.message,
          ...(generation === undefined ? {} : { observedGeneration: generation }),
        },
        new Date(this.#options.clock.now()),
      ),
    };
    const body = statusPatchBody(provider.status, desired);
    if (!body) return;
    const base =
      id.kind === APIG_PROVIDER_KIND
        ? collectionPath(APIG_PROVIDER_RESOURCE, id.namespace)
        : collectionPath(CLUSTER_APIG_PROVIDER_RESOURCE);
    try {
      await this.#options.client.json({
        method: 'PATCH',
        path: `${base}/${encodeURIComponent(id.name)}/status`,
        contentType: 'application/merge-patch+json',
        body,
      });
    } catch (error) {
      // Deleted meanwhile: its delete event removes it.
      if (!isKubeApiError(error, 404)) throw error;
    }
  }
}
