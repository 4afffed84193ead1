// Reading what one reconcile needs: the ApigCertificate as the API server has
// it, and the Secrets and ConfigMaps its spec names, as plain values.
import type { SecretInput } from '../certs/index.ts';
import { isKubeApiError, type KubeClient } from '../kube/kube-client.ts';
import { CONFIG_MAPS, SECRETS, objectPath } from '../kube/resources.ts';
import { APIG_CERTIFICATE_RESOURCE, type ApigCertificateResource } from '../api/v1alpha1.ts';
import type { Lookup, ReconcileInput } from './reconcile.ts';
import type { ReferencedKind } from './references.ts';

/** The inputs reconcile takes from Kubernetes besides the resource itself. */
export type ReferencedInputs = Pick<ReconcileInput, 'secret' | 'signSecret' | 'trustedRootCA'>;

export interface InputReaderOptions {
  client: KubeClient;
  /** The watch cache's copy of a resource, by `namespace/name`. */
  cached: (key: string) => ApigCertificateResource | undefined;
}

export class InputReader {
  readonly #client: KubeClient;
  readonly #cached: (key: string) => ApigCertificateResource | undefined;
  /**
   * The resourceVersion each resource had when this process last read it from
   * the API server or wrote its status: a cached copy at that version is
   * known to hold our own last write.
   */
  readonly #verifiedVersions = new Map<string, string>();

  constructor(options: InputReaderOptions) {
    this.#client = options.client;
    this.#cached = options.cached;
  }

  /**
   * The resource as the API server has it. A cached copy may predate our last
   * status write and its syncedHash (a stale snapshot is how peers sent the
   * same certificate twice), so the cache is used only when it is at the
   * version this process last saw from the API server; otherwise it is read.
   */
  async currentResource(
    key: string,
    signal: AbortSignal,
  ): Promise<ApigCertificateResource | undefined> {
    const cached = this.#cached(key);
    const verified = this.#verifiedVersions.get(key);
    if (cached && verified !== undefined && cached.metadata.resourceVersion === verified) {
      return cached;
    }
    const [namespace = '', name = ''] = key.split('/');
    const resource = await this.#get<ApigCertificateResource>(
      objectPath(APIG_CERTIFICATE_RESOURCE, namespace, name),
      signal,
    );
    const version = resource?.metadata.resourceVersion;
    if (version !== undefined) this.#verifiedVersions.set(key, version);
    return resource;
  }

  /** Our own status write left the resource at `version`. */
  verified(key: string, version: string): void {
    this.#verifiedVersions.set(key, version);
  }

  /** The next read of `key` goes to the API server. */
  forget(key: string): void {
    this.#verifiedVersions.delete(key);
  }

  /** Every next read goes to the API server (another replica may have written meanwhile). */
  forgetAll(): void {
    this.#verifiedVersions.clear();
  }

  /** The Secrets and ConfigMap keys the spec names, read fresh (the watches keep metadata only). */
  async referenced(
    resource: ApigCertificateResource,
    signal: AbortSignal,
  ): Promise<ReferencedInputs> {
    const { namespace } = resource.metadata;
    const { spec } = resource;
    const trusted = spec.trustedRootCA;
    return {
      secret: await this.#readSecret(namespace, spec.secretRef.name, signal),
      signSecret: spec.signSecretRef
        ? await this.#readSecret(namespace, spec.signSecretRef.name, signal)
        : undefined,
      trustedRootCA: trusted?.secretRef
        ? await this.#readKey('Secret', namespace, trusted.secretRef, signal)
        : trusted?.configMapRef
          ? await this.#readKey('ConfigMap', namespace, trusted.configMapRef, signal)
          : undefined,
    };
  }

  async #get<T>(path: string, signal: AbortSignal): Promise<T | undefined> {
    try {
      return await this.#client.json<T>({ path, signal });
    } catch (error) {
      if (isKubeApiError(error, 404)) return undefined;
      throw error;
    }
  }

  async #readSecret(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<Lookup<SecretInput>> {
    const secret = await this.#get<{
      type?: string;
      data?: Record<string, string>;
      metadata?: { annotations?: Record<string, string> };
    }>(objectPath(SECRETS, namespace, name), signal);
    if (!secret) return { found: false, what: `Secret ${namespace}/${name} not found` };
    return {
      found: true,
      value: {
        type: secret.type,
        data: secret.data ?? {},
        annotations: secret.metadata?.annotations,
      },
    };
  }

  /** One key of a Secret (base64 in `data`, decoded here) or of a ConfigMap (plain text). */
  async #readKey(
    kind: ReferencedKind,
    namespace: string,
    { name, key }: { name: string; key: string },
    signal: AbortSignal,
  ): Promise<Lookup<string>> {
    const path = objectPath(kind === 'Secret' ? SECRETS : CONFIG_MAPS, namespace, name);
    const object = await this.#get<{ data?: Record<string, string> }>(path, signal);
    if (!object) return { found: false, what: `${kind} ${namespace}/${name} not found` };
    const value = object.data?.[key];
    if (value === undefined) {
      return { found: false, what: `${kind} ${namespace}/${name} has no key "${key}"` };
    }
    return {
      found: true,
      value: kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value,
    };
  }
}
